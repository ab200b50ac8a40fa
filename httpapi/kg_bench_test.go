package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/kg"
)

// kgDataDir finds ../shared/data above the package directory.
func kgDataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "data")
		if _, err := os.Stat(filepath.Join(p, "drugbank-ddi-86")); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			tb.Fatal("shared/data/drugbank-ddi-86 not found above the package directory")
		}
	}
}

// BenchmarkKGInteractionsHTTP checks ten drugs by common name over real
// HTTP from 16 concurrent clients (auth, body hash, audit write included),
// on the drug sources of ../shared/data, and reports p50 and p99.
func BenchmarkKGInteractionsHTTP(b *testing.B) {
	env := newEnv(b, Config{}, inference.Config{}, nil)
	only := []string{"drugbank-vocabulary", "drugbank-4.2-atc", "drugbank-ddi-86", "merged-pddi", "who-atc-ddd"}
	if _, err := kg.ImportDir(context.Background(), env.store, kgDataDir(b), kg.ImportOptions{Only: only}); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"drugs":["warfarin","aspirin","lithium","ibuprofen","metformin","simvastatin","amiodarone","omeprazole","digoxin","furosemide"]}`)
	post := func() error {
		req, _ := http.NewRequest("POST", env.url+"/v1/kg/interactions", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+env.keys["clinician"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := post(); err != nil { // loads the graph
		b.Fatal(err)
	}
	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	b.SetParallelism(16 / max(1, runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := post(); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}
