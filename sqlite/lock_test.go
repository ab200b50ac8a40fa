package sqlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// lockChildEnv names the database a child process of TestWithLockProcesses
// locks.
const lockChildEnv = "GALEN_SQLITE_LOCK_CHILD"

// TestWithLockChild is the child of TestWithLockProcesses: it takes the
// lock, says "held" on stdout and holds it until stdin closes.
func TestWithLockChild(t *testing.T) {
	path := os.Getenv(lockChildEnv)
	if path == "" {
		t.Skip("run by TestWithLockProcesses")
	}
	db := openTest(t, path)
	err := db.WithLock(context.Background(), "test", func(context.Context) error {
		fmt.Println("held")
		_, err := io.Copy(io.Discard, os.Stdin)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWithLockProcesses checks that a lock held by another process
// excludes this one, and that it is free once that process returns from
// WithLock or dies holding it.
func TestWithLockProcesses(t *testing.T) {
	tests := []struct {
		name string
		end  func(cmd *exec.Cmd, stdin io.Closer) error
	}{
		{"child returns", func(_ *exec.Cmd, stdin io.Closer) error { return stdin.Close() }},
		{"child killed holding the lock", func(cmd *exec.Cmd, _ io.Closer) error { return cmd.Process.Kill() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "galen.db")
			db := openTest(t, path)
			cmd := exec.Command(os.Args[0], "-test.run=^TestWithLockChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), lockChildEnv+"="+path)
			cmd.Stderr = os.Stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "held\n" {
				t.Fatalf("child said %q, %v; want \"held\"", line, err)
			}

			wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			ran := false
			err = db.WithLock(wctx, "test", func(context.Context) error { ran = true; return nil })
			if !errors.Is(err, context.DeadlineExceeded) || ran {
				t.Fatalf("WithLock while the child holds the lock = %v (fn ran: %v), want context.DeadlineExceeded", err, ran)
			}

			if err := tt.end(cmd, stdin); err != nil {
				t.Fatal(err)
			}
			lctx, cancel2 := context.WithTimeout(ctx, 10*time.Second)
			defer cancel2()
			if err := db.WithLock(lctx, "test", func(context.Context) error { ran = true; return nil }); err != nil || !ran {
				t.Errorf("WithLock after the child ended = %v (fn ran: %v), want nil and run", err, ran)
			}
		})
	}
}
