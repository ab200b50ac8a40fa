package galen_test

import (
	"testing"

	"github.com/galenhealth/galen"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "HR", 5, "HR"},
		{"exact", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcde…"},
		{"runes, not bytes", "ééééé", 3, "ééé…"},
		{"empty", "", 3, ""},
		{"zero", "abc", 0, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := galen.Truncate(tt.in, tt.n); got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	tests := []struct {
		name    string
		ps      []galen.Problem
		wantMsg string
	}{
		{"one with a path", []galen.Problem{{Path: "observations", Message: "missing"}}, "1 problem in the request: observations: missing"},
		{"one without a path", []galen.Problem{{Message: "request body is empty"}}, "request body is empty"},
		{"two", []galen.Problem{{Path: "a", Message: "x"}, {Path: "b", Message: "y"}}, "2 problems in the request: a: x"},
		// Issue 17: the headline names the error, not the warnings before it.
		{"warnings before the error", []galen.Problem{{Severity: "warning", Path: "a", Message: "LOINC 72514-3 is not used"},
			{Severity: "warning", Path: "b", Message: "w"}, {Severity: "error", Path: "c", Message: "no usable observation"}},
			"1 error in the request (and 2 warnings): c: no usable observation"},
		{"two errors and a warning", []galen.Problem{{Severity: "warning", Path: "a", Message: "w"}, {Path: "b", Message: "x"}, {Severity: "fatal", Message: "y"}},
			"2 errors in the request (and 1 warning): b: x"},
		{"only warnings", []galen.Problem{{Severity: "warning", Path: "a", Message: "w"}, {Severity: "information", Message: "i"}},
			"0 errors in the request (and 2 warnings): a: w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := galen.ProblemsError(galen.EINVALID, tt.ps)
			if galen.ErrorMessage(err) != tt.wantMsg || galen.ErrorCode(err) != galen.EINVALID || len(galen.ErrorProblems(err)) != len(tt.ps) {
				t.Errorf("got %q (%s, %d problems), want %q", galen.ErrorMessage(err), galen.ErrorCode(err), len(galen.ErrorProblems(err)), tt.wantMsg)
			}
		})
	}
	ps := galen.PrefixProblems([]galen.Problem{{Severity: "warning", Path: "entry", Message: "m"}}, "prefetch.")
	if ps[0].Path != "prefetch.entry" || ps[0].Severity != "warning" || ps[0].String() != "prefetch.entry: m" {
		t.Errorf("PrefixProblems: %+v", ps[0])
	}
	if p := ps[0].Plain(); p != (galen.Problem{Severity: "warning", Path: "prefetch.entry", Message: "m"}) {
		t.Errorf("Plain: %+v", p)
	}
	if p := (galen.Problem{Code: "invalid", Message: "m"}).Plain(); p != (galen.Problem{Severity: "error", Message: "m"}) {
		t.Errorf("Plain of an error without severity: %+v", p)
	}
}
