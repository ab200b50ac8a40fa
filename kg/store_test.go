package kg

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/galenhealth/galen/sqlite"
)

func openSQLite(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// The fixtures go through the store: imported twice (idempotent), read
// back by a second handle (a replica) whose Service sees the import.
func TestImportDirStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "galen.db")
	db := openSQLite(t, path)
	replica := NewService(openSQLite(t, path), 1, nil)
	if _, err := replica.Graph(ctx); err == nil {
		t.Fatal("Graph of an empty store succeeded")
	}
	var stages []string
	opts := ImportOptions{Progress: func(p Progress) { stages = append(stages, p.Source+" "+p.Stage) }}
	for round := range 2 {
		reps, err := ImportDir(ctx, db, filepath.Join("testdata", "data"), opts)
		if err != nil {
			t.Fatalf("round %d: ImportDir: %v", round, err)
		}
		var names []string
		for _, r := range reps {
			names = append(names, r.Source)
		}
		if want := []string{"disease-ontology", "drugbank-vocabulary", "drugbank-ddi-86", "merged-pddi", CrosswalkSource}; !slices.Equal(names, want) {
			t.Fatalf("imported %v, want %v", names, want)
		}
		g, err := replica.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		nodes, edges := g.Len()
		// 5 DO nodes + 3 drugs; 3 DO edges + 2 DDI + 3 PDDI edges.
		if nodes != 8 || edges != 8 {
			t.Errorf("round %d: graph of %d nodes, %d edges; want 8 and 8", round, nodes, edges)
		}
		rep := g.Interactions([]string{"aspirin", "warfarin"})
		if len(rep.Interactions) != 1 || rep.Interactions[0].Severity != SeverityMajor {
			t.Errorf("round %d: interactions = %+v", round, rep.Interactions)
		}
	}
	if stages[0] != "disease-ontology read" || stages[len(stages)-1] != CrosswalkSource+" done" {
		t.Errorf("progress = %v", stages)
	}
	srcs, err := db.FindKGSources(ctx)
	if err != nil || len(srcs) != 5 {
		t.Fatalf("sources = %v, %v", srcs, err)
	}
	if _, err := ImportDir(ctx, db, t.TempDir(), ImportOptions{}); err == nil {
		t.Error("ImportDir of a folder without sources succeeded")
	}
	if _, err := ImportDir(ctx, db, "testdata/data", ImportOptions{Only: []string{"nope"}}); err == nil {
		t.Error("ImportDir of an unknown source succeeded")
	}
}
