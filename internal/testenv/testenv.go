package testenv

import (
	"fmt"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: the environment variable CI is
// "true" (as .ci/run and most CI services set it).
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing stops tb because a real part it needs is unavailable, as the
// message says: it fails the test under CI=true and skips it otherwise.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("CI=true, so this test may not skip: %s", msg)
		return
	}
	tb.Skip(msg)
}
