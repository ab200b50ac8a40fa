package kg

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// peakHeap samples the heap in use until stop is called and returns the
// peak in MiB.
func peakHeap() (stop func() float64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak.Load()) / (1 << 20)
	}
}

// BenchmarkImportAll imports every source in ../shared/data into a new
// SQLite store (what `galen kg import` does) and reports the peak heap.
func BenchmarkImportAll(b *testing.B) {
	dir := dataDir(b)
	for b.Loop() {
		db := openSQLite(b, filepath.Join(b.TempDir(), "galen.db"))
		runtime.GC()
		stop := peakHeap()
		if _, err := ImportDir(context.Background(), db, dir, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(stop(), "peak-heap-MiB")
	}
}

// BenchmarkLoadGraph builds the in-memory graph from the files (no store).
func BenchmarkLoadGraph(b *testing.B) {
	dir := dataDir(b)
	for b.Loop() {
		runtime.GC()
		stop := peakHeap()
		if _, _, err := ReadDir(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(stop(), "peak-heap-MiB")
	}
}

// latencies records per-call durations and reports p50 and p99.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	b.ReportMetric(float64(l[len(l)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(l[len(l)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkNeighbours pages through the edges of well-connected drugs and
// diseases, 50 at a time.
func BenchmarkNeighbours(b *testing.B) {
	g, _ := realData(b)
	ids := []string{"DrugBank:DB00682", "DrugBank:DB00945", "DOID:10763", "DrugBank:DB00331", "MESH:D005334"}
	var lat latencies
	i := 0
	for b.Loop() {
		start := time.Now()
		if _, err := g.Neighbours(ids[i%len(ids)], NeighbourOptions{Offset: 50 * (i % 4), Limit: 50}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	lat.report(b)
}

// BenchmarkPath3Hop finds the shortest path (at most 3 hops, any edge
// type) from random drugs with indications to random symptoms.
func BenchmarkPath3Hop(b *testing.B) {
	g, _ := realData(b)
	var drugs, symptoms []string
	for _, n := range g.nodes {
		switch {
		case n.Type == TypeSymptom:
			symptoms = append(symptoms, n.ID)
		case n.Type == TypeDrug && slices.Contains(n.Sources, "pharmacotherapydb"):
			drugs = append(drugs, n.ID)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var lat latencies
	for b.Loop() {
		from, to := drugs[rng.IntN(len(drugs))], symptoms[rng.IntN(len(symptoms))]
		start := time.Now()
		if _, err := g.Paths(from, to, PathOptions{MaxHops: 3}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	lat.report(b)
}

// tenDrugs is a polypharmacy list as a clinician would type it.
var tenDrugs = []string{"warfarin", "aspirin", "lithium", "ibuprofen", "metformin", "simvastatin", "amiodarone", "omeprazole", "digoxin", "furosemide"}

// BenchmarkInteractions10 checks ten drugs given by common name.
func BenchmarkInteractions10(b *testing.B) {
	g, _ := realData(b)
	var lat latencies
	for b.Loop() {
		start := time.Now()
		rep := g.Interactions(tenDrugs)
		lat = append(lat, time.Since(start))
		if len(rep.Unresolved) > 0 {
			b.Fatalf("unresolved %v", rep.Unresolved)
		}
	}
	lat.report(b)
}

// BenchmarkSearchTypo searches with a typo, which scans every key.
func BenchmarkSearchTypo(b *testing.B) {
	g, _ := realData(b)
	for b.Loop() {
		if hits := g.Search("metfromin", SearchOptions{Types: []string{TypeDrug}, Limit: 5}); len(hits) == 0 {
			b.Fatal("no hit")
		}
	}
}
