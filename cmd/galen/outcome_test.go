package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/internal/testenv"
	"github.com/galenhealth/galen/outcome"
)

// writeRecordsTarGz writes records (name -> file content) as a .tar.gz.
func writeRecordsTarGz(tb testing.TB, path string, names []string, files map[string][]byte) {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range names {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: "set/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// syntheticRecords makes n stays in the PhysioNet 2012 format in which the
// sickest (low GCS, high lactate, low MAP) die.
func syntheticRecords(tb testing.TB, dir string, n int) (records, outcomes string) {
	tb.Helper()
	files := map[string][]byte{}
	var names []string
	out := "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n"
	for i := range n {
		id := 200000 + i
		sick := i%4 == 0
		var b strings.Builder
		fmt.Fprintf(&b, "Time,Parameter,Value\n00:00,RecordID,%d\n00:00,Age,%d\n00:00,Gender,%d\n00:00,Height,-1\n00:00,ICUType,%d\n00:00,Weight,-1\n", id, 40+i%50, i%2, 1+i%4)
		gcs, lac, mapv := 15, 1.1, 85.0
		if sick {
			gcs, lac, mapv = 5, 6.5, 55
		}
		for h := range 48 {
			fmt.Fprintf(&b, "%02d:10,GCS,%d\n%02d:10,MAP,%.0f\n%02d:10,HR,%d\n", h, gcs, h, mapv+float64(i%5), h, 80+i%20)
			if h%8 == 0 {
				fmt.Fprintf(&b, "%02d:30,Lactate,%.1f\n", h, lac)
			}
		}
		name := fmt.Sprintf("%d.txt", id)
		names = append(names, name)
		files[name] = []byte(b.String())
		death := 0
		if sick {
			death = 1
		}
		out += fmt.Sprintf("%d,-1,-1,5,-1,%d\n", id, death)
	}
	records = filepath.Join(dir, "records.tar.gz")
	writeRecordsTarGz(tb, records, names, files)
	outcomes = filepath.Join(dir, "outcomes.txt")
	if err := os.WriteFile(outcomes, []byte(out), 0o644); err != nil {
		tb.Fatal(err)
	}
	return records, outcomes
}

func TestEvalOutcomeBuiltin(t *testing.T) {
	dir := t.TempDir()
	records, outcomes := syntheticRecords(t, dir, 40)
	code, stdout, stderr := galenCmd(t, nil, "eval", "outcome", "--records", records, "--outcomes", outcomes, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not one JSON object: %q", stdout)
	}
	for _, k := range []string{"auroc", "auprc", "event1", "brier", "ece", "n"} {
		if _, ok := got[k]; !ok {
			t.Errorf("key %q missing in %v", k, got)
		}
	}
	if got["n"] != float64(40) || got["auroc"].(float64) < 0.9 {
		t.Errorf("metrics %v; the sick stays should rank first", got)
	}
	code, stdout, _ = galenCmd(t, nil, "eval", "outcome", "--records", records, "--outcomes", outcomes)
	if code != 0 || !strings.Contains(stdout, "AUROC") || !strings.Contains(stdout, "Event-1") {
		t.Errorf("text output %d %q", code, stdout)
	}
	code, stdout, _ = galenCmd(t, nil, "eval", "outcome", "--records", records, "--outcomes", outcomes, "--split", "test", "--json")
	var part struct{ N int }
	if err := json.Unmarshal([]byte(stdout), &part); code != 0 || err != nil || part.N <= 0 || part.N >= 40 {
		t.Errorf("--split test: %d %q", code, stdout)
	}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no records", []string{"eval", "outcome", "--outcomes", outcomes}, 2},
		{"missing file", []string{"eval", "outcome", "--records", filepath.Join(dir, "nope"), "--outcomes", outcomes}, 1},
		{"bad split", []string{"eval", "outcome", "--records", records, "--outcomes", outcomes, "--split", "dev"}, 2},
		{"unknown model", []string{"eval", "outcome", "--records", records, "--outcomes", outcomes, "--model", "nope", "--data-dir", dir}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, stderr := galenCmd(t, nil, tt.args...); code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, stderr)
			}
		})
	}
}

func TestTrainThenEvalOutcome(t *testing.T) {
	dir := t.TempDir()
	records, outcomes := syntheticRecords(t, dir, 120)
	code, stdout, stderr := galenCmd(t, nil, "train", "outcome", "--records", records, "--outcomes", outcomes,
		"--epochs", "-1", "--data-dir", dir, "--name", "icu-test")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "registered icu-test:1") || !strings.Contains(stdout, "AUROC") {
		t.Errorf("train output %q", stdout)
	}
	if !strings.Contains(stderr, "[") {
		t.Errorf("no progress bar on stderr: %q", stderr)
	}
	code, stdout, stderr = galenCmd(t, nil, "eval", "outcome", "--records", records, "--outcomes", outcomes,
		"--model", "icu-test:1", "--data-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	var got struct{ AUROC float64 }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.AUROC < 0.9 {
		t.Errorf("eval of the registered model: %q %v", stdout, err)
	}
}

// TestEvalOutcomeRealSubset evaluates the built-in model on 300 real stays
// packed into a .tar.gz, when ../shared/data is present. Most of them were
// in the model's training split, so this checks plumbing, not generalisation.
func TestEvalOutcomeRealSubset(t *testing.T) {
	src := filepath.Join("..", "..", "..", "shared", "data", "physionet2012-set-a")
	f, err := os.Open(filepath.Join(src, "set-a.tar.gz"))
	if err != nil {
		testenv.Missing(t, "shared/data/physionet2012-set-a not found next to the repository")
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	var names []string
	for len(names) < 300 {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(h.Name)
		names = append(names, name)
		files[name] = b
	}
	dir := t.TempDir()
	records := filepath.Join(dir, "sub.tar.gz")
	writeRecordsTarGz(t, records, names, files)
	code, stdout, stderr := galenCmd(t, nil, "eval", "outcome", "--records", records, "--outcomes", filepath.Join(src, "Outcomes-a.txt"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		AUROC float64
		N     int
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.N != 300 || got.AUROC < 0.75 {
		t.Errorf("metrics %q (%v)", stdout, err)
	}
}

// TestTrainOutcomeCheckpointDir trains with --checkpoint-dir, checks that a
// rerun resumes from the finished checkpoint with the same result, and that
// a run on other data refuses the checkpoint with a clear error.
func TestTrainOutcomeCheckpointDir(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	records, outcomes := syntheticRecords(t, dir, 120)
	args := []string{"train", "outcome", "--records", records, "--outcomes", outcomes, "--epochs", "2", "--members", "1",
		"--no-trees", "--checkpoint-dir", ckpt}
	var outs []string
	for i := range 2 {
		code, stdout, stderr := galenCmd(t, nil, append(args, "--data-dir", filepath.Join(dir, fmt.Sprint("data", i)))...)
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", i+1, code, stderr)
		}
		outs = append(outs, stdout)
	}
	if _, err := os.Stat(filepath.Join(ckpt, "grud-seed2012.safetensors")); err != nil {
		t.Fatalf("no checkpoint written: %v", err)
	}
	if outs[0] != outs[1] {
		t.Errorf("run resumed from the finished checkpoint differs:\n%s\nvs\n%s", outs[0], outs[1])
	}

	other, otherOut := syntheticRecords(t, t.TempDir(), 100)
	code, _, stderr := galenCmd(t, nil, "train", "outcome", "--records", other, "--outcomes", otherOut, "--epochs", "2",
		"--members", "1", "--no-trees", "--checkpoint-dir", ckpt, "--data-dir", filepath.Join(dir, "data2"))
	if code == 0 || !strings.Contains(stderr, "different settings or data") {
		t.Errorf("training on other data with the same checkpoint dir: exit %d, stderr %q; want a refusal", code, stderr)
	}
}

// TestEvalOutcomeResolvesLikeServer checks that --model NAME takes the
// version a server request naming no version gets (the production alias if
// set, else the newest version), and that NAME:VERSION and NAME:ALIAS name
// what the server's version parameter names.
func TestEvalOutcomeResolvesLikeServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	records, outcomes := syntheticRecords(t, dir, 12)
	store, err := (&CLI{}).OpenStore(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"icu-aliased", "icu-plain"} {
		if err := store.CreateModel(ctx, &galen.Model{Name: name, Task: "outcome"}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			v := &galen.ModelVersion{ModelName: name, Format: outcome.Format, Card: outcome.BuiltinCard()}
			if err := store.CreateModelVersion(ctx, v, outcome.BuiltinArtifact()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for alias, version := range map[string]int{inference.DefaultAlias: 1, "staging": 2} {
		if _, err := store.SetAlias(ctx, "icu-aliased", alias, version); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		model     string
		wantModel string // as printed, NAME:VERSION; empty: the command fails
		wantErr   string
	}{
		{"production alias first", "icu-aliased", "icu-aliased:1", ""},
		{"newest without production", "icu-plain", "icu-plain:2", ""},
		{"version number", "icu-aliased:2", "icu-aliased:2", ""},
		{"alias", "icu-aliased:staging", "icu-aliased:2", ""},
		{"production by name", "icu-aliased:production", "icu-aliased:1", ""},
		{"unknown alias", "icu-plain:production", "", `model "icu-plain" has no version "production"`},
		{"unknown version", "icu-plain:3", "", `model "icu-plain" has no version "3"`},
		{"unknown model", "icu-nope", "", `"icu-nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := galenCmd(t, nil, "eval", "outcome", "--records", records, "--outcomes", outcomes,
				"--model", tt.model, "--data-dir", dir)
			if tt.wantModel == "" {
				if code != 1 || !strings.Contains(stderr, tt.wantErr) {
					t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.wantErr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if want := "model " + tt.wantModel + ", "; !strings.HasPrefix(stdout, want) {
				t.Errorf("evaluated %q, want %q", strings.SplitN(stdout, "\n", 2)[0], want)
			}
		})
	}
}
