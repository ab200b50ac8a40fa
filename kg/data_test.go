package kg

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// dataDir walks up from the package directory to ../shared/data.
func dataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		for _, cand := range []string{filepath.Join(dir, "shared", "data"), filepath.Join(dir, "..", "shared", "data")} {
			if fi, err := os.Stat(filepath.Join(cand, "drugbank-ddi-86")); err == nil && fi.IsDir() {
				return cand
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("../shared/data not found above the package directory; the knowledge-graph tests read the real data sets")
		}
		dir = parent
	}
}

var (
	realOnce    sync.Once
	realGraph   *Graph
	realReports []*Report
	realErr     error
)

// realData returns the graph of every source in ../shared/data, read once
// per test binary.
func realData(tb testing.TB) (*Graph, []*Report) {
	tb.Helper()
	dir := dataDir(tb)
	realOnce.Do(func() { realGraph, realReports, realErr = ReadDir(context.Background(), dir) })
	if realErr != nil {
		tb.Fatalf("ReadDir: %v", realErr)
	}
	return realGraph, realReports
}

func reportOf(tb testing.TB, reps []*Report, source string) *Report {
	tb.Helper()
	for _, r := range reps {
		if r.Source == source {
			return r
		}
	}
	tb.Fatalf("no report for %s", source)
	return nil
}
