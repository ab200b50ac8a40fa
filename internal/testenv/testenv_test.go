package testenv

import (
	"testing"
)

// recorder is a testing.TB that records how a test was stopped.
type recorder struct {
	testing.TB
	failed, skipped bool
	msg             string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatalf(f string, args ...any) { r.failed = true; r.msg = f }
func (r *recorder) Skip(args ...any)             { r.skipped = true }

func TestMissing(t *testing.T) {
	tests := []struct {
		name               string
		ci                 string
		wantFail, wantSkip bool
	}{
		{name: "CI=true fails", ci: "true", wantFail: true},
		{name: "no CI skips", ci: "", wantSkip: true},
		{name: "CI=false skips", ci: "false", wantSkip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			Missing(r, "no %s", "database")
			if r.failed != tt.wantFail || r.skipped != tt.wantSkip {
				t.Errorf("failed %v skipped %v, want failed %v skipped %v", r.failed, r.skipped, tt.wantFail, tt.wantSkip)
			}
		})
	}
}
