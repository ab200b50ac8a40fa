package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// testKG runs the knowledge-graph conformance tests.
func testKG(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"RoundTrip", testKGRoundTrip},
		{"Idempotent", testKGIdempotent},
		{"Atomic", testKGAtomic},
		{"SourcesApart", testKGSourcesApart},
		{"Invalid", testKGInvalid},
		{"Replica", testKGReplica},
		{"Concurrent", testKGConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// kgFixture returns a small source: two drugs that interact, with typed
// attributes of every kind, synonyms and non-ASCII text.
func kgFixture(source string) (*galen.KGSource, []galen.KGNode, []galen.KGEdge) {
	src := &galen.KGSource{Name: source, License: "CC0 1.0", ImportedAt: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC),
		RowsRead: 3, Dropped: 1, Report: `{"dropped_by":{"bad id":1}}`}
	nodes := []galen.KGNode{
		{ID: "DrugBank:DB00682", Type: "Drug", Name: "Warfarin", Synonyms: []string{"Coumadin", "Warfarina"}, Source: source,
			Attrs: []galen.KGAttr{{Name: "cas", Kind: galen.KGText, Text: "81-81-2"}}},
		{ID: "DrugBank:DB00945", Type: "Drug", Name: "Acetylsalicylic acid", Synonyms: []string{"Aspirin", "Acide acétylsalicylique"}, Source: source},
		{ID: "Patient:1", Type: "Patient", Name: "patient 1", Source: source, Attrs: []galen.KGAttr{
			{Name: "age", Kind: galen.KGNumber, Num: 67, Unit: "years"}, {Name: "birth_date", Kind: galen.KGDate, Text: "1959-01-02"}}},
	}
	edges := []galen.KGEdge{
		{From: "DrugBank:DB00682", To: "DrugBank:DB00945", Type: "interacts_with", Source: source,
			Attrs: []galen.KGAttr{{Name: "severity", Kind: galen.KGText, Text: "major"}, {Name: "weight", Kind: galen.KGNumber, Num: 0.25}}},
		{From: "Patient:1", To: "DrugBank:DB00682", Type: "prescribed", Source: source},
	}
	return src, nodes, edges
}

// scanAll returns what the store holds.
func scanAll(tb testing.TB, s galen.Store) (int64, []galen.KGNode, []galen.KGEdge) {
	tb.Helper()
	var nodes []galen.KGNode
	var edges []galen.KGEdge
	gen, err := s.ScanKG(context.Background(),
		func(n *galen.KGNode) error { nodes = append(nodes, *n); return nil },
		func(e *galen.KGEdge) error { edges = append(edges, *e); return nil })
	if err != nil {
		tb.Fatalf("ScanKG: %v", err)
	}
	return gen, nodes, edges
}

func testKGRoundTrip(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	gen0, nodes0, _ := scanAll(t, s)
	if gen0 != 0 || len(nodes0) != 0 {
		t.Fatalf("new store: generation %d, %d nodes; want 0, 0", gen0, len(nodes0))
	}
	src, nodes, edges := kgFixture("fixture")
	if err := s.ReplaceKGSource(ctx, src, nodes, edges); err != nil {
		t.Fatalf("ReplaceKGSource: %v", err)
	}
	gen, gotNodes, gotEdges := scanAll(t, s)
	if gen <= gen0 {
		t.Errorf("generation %d did not move on from %d", gen, gen0)
	}
	// Nodes come back ordered by id within a source, edges in order.
	if !reflect.DeepEqual(gotNodes, nodes) {
		t.Errorf("nodes =\n%+v\nwant\n%+v", gotNodes, nodes)
	}
	if !reflect.DeepEqual(gotEdges, edges) {
		t.Errorf("edges =\n%+v\nwant\n%+v", gotEdges, edges)
	}
	if g, err := s.KGGeneration(ctx); err != nil || g != gen {
		t.Errorf("KGGeneration = %d, %v; want %d", g, err, gen)
	}
	srcs, err := s.FindKGSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := *src
	want.Nodes, want.Edges = 3, 2
	if len(srcs) != 1 || !reflect.DeepEqual(*srcs[0], want) {
		t.Errorf("sources = %+v, want %+v", srcs, want)
	}
}

func testKGIdempotent(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	src, nodes, edges := kgFixture("fixture")
	for range 2 {
		if err := s.ReplaceKGSource(ctx, src, nodes, edges); err != nil {
			t.Fatalf("ReplaceKGSource: %v", err)
		}
	}
	_, gotNodes, gotEdges := scanAll(t, s)
	if len(gotNodes) != 3 || len(gotEdges) != 2 {
		t.Errorf("after two imports: %d nodes, %d edges; want 3 and 2", len(gotNodes), len(gotEdges))
	}
	// A smaller import replaces the source whole.
	if err := s.ReplaceKGSource(ctx, src, nodes[:2], edges[:1]); err != nil {
		t.Fatal(err)
	}
	_, gotNodes, gotEdges = scanAll(t, s)
	if len(gotNodes) != 2 || len(gotEdges) != 1 {
		t.Errorf("after a smaller import: %d nodes, %d edges; want 2 and 1", len(gotNodes), len(gotEdges))
	}
}

func testKGAtomic(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	src, nodes, edges := kgFixture("fixture")
	if err := s.ReplaceKGSource(ctx, src, nodes, edges); err != nil {
		t.Fatal(err)
	}
	gen, _, _ := scanAll(t, s)
	// A failed import (here: canceled) leaves the source as it was.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.ReplaceKGSource(cctx, src, nodes[:1], nil); err == nil {
		t.Fatal("ReplaceKGSource with a canceled context succeeded")
	}
	gen2, gotNodes, gotEdges := scanAll(t, s)
	if gen2 != gen || len(gotNodes) != 3 || len(gotEdges) != 2 {
		t.Errorf("after a failed import: generation %d (was %d), %d nodes, %d edges", gen2, gen, len(gotNodes), len(gotEdges))
	}
}

func testKGSourcesApart(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	for _, name := range []string{"a", "b"} {
		src, nodes, edges := kgFixture(name)
		if err := s.ReplaceKGSource(ctx, src, nodes, edges); err != nil {
			t.Fatal(err)
		}
	}
	src, nodes, _ := kgFixture("a")
	if err := s.ReplaceKGSource(ctx, src, nodes[:1], nil); err != nil {
		t.Fatal(err)
	}
	_, gotNodes, gotEdges := scanAll(t, s)
	count := map[string]int{}
	for _, n := range gotNodes {
		count["node "+n.Source]++
	}
	for _, e := range gotEdges {
		count["edge "+e.Source]++
	}
	want := map[string]int{"node a": 1, "node b": 3, "edge b": 2}
	if !reflect.DeepEqual(count, want) {
		t.Errorf("records by source = %v, want %v", count, want)
	}
	srcs, err := s.FindKGSources(ctx)
	if err != nil || len(srcs) != 2 || srcs[0].Name != "a" || srcs[1].Name != "b" || srcs[0].Nodes != 1 {
		t.Errorf("sources = %+v, %v", srcs, err)
	}
}

func testKGInvalid(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	tests := []struct {
		name   string
		change func(*galen.KGSource, []galen.KGNode, []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge)
	}{
		{"empty name", func(s *galen.KGSource, n []galen.KGNode, e []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge) {
			s.Name = ""
			return n, e
		}},
		{"dangling edge", func(s *galen.KGSource, n []galen.KGNode, e []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge) {
			return n[:1], e
		}},
		{"other source", func(s *galen.KGSource, n []galen.KGNode, e []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge) {
			n[0].Source = "other"
			return n, e
		}},
		{"duplicate node", func(s *galen.KGSource, n []galen.KGNode, e []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge) {
			return append(n, n[0]), e
		}},
		{"nul byte", func(s *galen.KGSource, n []galen.KGNode, e []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge) {
			n[1].Name = "a\x00b"
			return n, e
		}},
		{"invalid utf-8", func(s *galen.KGSource, n []galen.KGNode, e []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge) {
			n[1].Synonyms = []string{"\xff"}
			return n, e
		}},
		{"bad attribute kind", func(s *galen.KGSource, n []galen.KGNode, e []galen.KGEdge) ([]galen.KGNode, []galen.KGEdge) {
			e[0].Attrs = []galen.KGAttr{{Name: "x", Kind: "blob"}}
			return n, e
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, nodes, edges := kgFixture("fixture")
			nodes, edges = tt.change(src, nodes, edges)
			wantCode(t, s.ReplaceKGSource(ctx, src, nodes, edges), galen.EINVALID)
		})
	}
	_, nodes, _ := scanAll(t, s)
	if len(nodes) != 0 {
		t.Errorf("%d nodes stored by refused imports", len(nodes))
	}
}

// testKGReplica: another handle on the same database (another replica)
// sees an import as soon as it commits.
func testKGReplica(t *testing.T, open Open) {
	ctx := context.Background()
	h := open(t)
	if h.Reopen == nil {
		t.Fatal("the harness has no Reopen")
	}
	other := h.Reopen(t)
	before, err := other.KGGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src, nodes, edges := kgFixture("fixture")
	if err := h.Store.ReplaceKGSource(ctx, src, nodes, edges); err != nil {
		t.Fatal(err)
	}
	after, err := other.KGGeneration(ctx)
	if err != nil || after == before {
		t.Errorf("the other handle's generation stayed %d (%v)", after, err)
	}
	_, got, _ := scanAll(t, other)
	if len(got) != 3 {
		t.Errorf("the other handle sees %d nodes, want 3", len(got))
	}
}

// testKGConcurrent: imports of different sources at once all land.
func testKGConcurrent(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, nodes, edges := kgFixture(fmt.Sprintf("src%d", i))
			errs <- s.ReplaceKGSource(ctx, src, nodes, edges)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent import: %v", err)
		}
	}
	gen, nodes, _ := scanAll(t, s)
	if len(nodes) != 12 || gen < 4 {
		t.Errorf("after 4 concurrent imports: %d nodes, generation %d", len(nodes), gen)
	}
}
