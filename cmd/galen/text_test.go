package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTextCSV writes n notes per class: the class's topic words among
// filler, in columns id, note, specialty.
func writeTextCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"id", "note", "specialty"})
	rng := rand.New(rand.NewPCG(1, 2))
	topics := map[string][]string{
		"Cardiology":  strings.Fields("murmur echocardiogram atrial fibrillation troponin angina"),
		"Urology":     strings.Fields("cystoscopy prostate hematuria bladder ureteral stent"),
		"Dermatology": strings.Fields("rash eczema psoriasis lesion biopsy melanoma"),
	}
	filler := strings.Fields("the patient was seen in clinic today and the history was reviewed")
	id := 0
	for i := range n {
		for _, label := range []string{"Cardiology", "Urology", "Dermatology"} {
			var ws []string
			for range 10 {
				ws = append(ws, filler[rng.IntN(len(filler))])
			}
			for range 3 {
				ws = append(ws, topics[label][rng.IntN(len(topics[label]))])
			}
			id++
			_ = w.Write([]string{fmt.Sprint(id), strings.Join(ws, " ") + fmt.Sprintf(" visit %d.", i), label})
		}
	}
	w.Flush()
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func TestEvalText(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "notes.csv")
	writeTextCSV(t, data, 30)
	split := filepath.Join(dir, "split.csv")
	code, stdout, stderr := galenCmd(t, nil, "eval", "text", "--data", data, "--text-col", "note", "--label-col", "specialty",
		"--model-type", "linear", "--seed", "3", "--json", "--export-split", split)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not one JSON object: %q", stdout)
	}
	for _, k := range []string{"macro_f1", "accuracy", "n_train", "n_test", "labels", "model_type", "ece", "per_class", "confusion"} {
		if _, ok := got[k]; !ok {
			t.Errorf("key %q missing in %v", k, got)
		}
	}
	if got["n_train"] != float64(72) || got["n_test"] != float64(18) || got["model_type"] != "linear" || got["macro_f1"].(float64) < 0.9 {
		t.Errorf("report %v", got)
	}
	b, err := os.ReadFile(split)
	if err != nil || !strings.HasPrefix(string(b), "line,split,label,text\n") || strings.Count(string(b), ",test,") != 18 {
		t.Errorf("exported split: %v %.200q", err, b)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no data", []string{"eval", "text", "--text-col", "note", "--label-col", "specialty"}, 2, "--data"},
		{"missing column", []string{"eval", "text", "--data", data, "--text-col", "text", "--label-col", "specialty"}, 1, `no text column "text"`},
		{"bad model type", []string{"eval", "text", "--data", data, "--text-col", "note", "--label-col", "specialty", "--model-type", "svm"}, 2, "svm"},
		{"no such file", []string{"eval", "text", "--data", filepath.Join(dir, "nope.csv"), "--text-col", "note", "--label-col", "specialty"}, 1, "nope.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := galenCmd(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, stderr, tc.want)
			}
		})
	}
}
