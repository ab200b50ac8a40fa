package httpapi

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/internal/testenv"
	"github.com/galenhealth/galen/outcome"
)

// BenchmarkInferHTTP measures one OIP inference on the linear model over
// real HTTP: auth lookup, body hash, decode, queue, predict, audit write.
func BenchmarkInferHTTP(b *testing.B) {
	env := newEnv(b, Config{}, inference.Config{}, nil)
	body := []byte(`{"inputs":[{"name":"x","shape":[4,2],"datatype":"FP32","data":[[1,2],[3,4],[5,6],[7,8]]}]}`)
	for b.Loop() {
		req, _ := http.NewRequest("POST", env.url+"/v2/models/lin/infer", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+env.keys["clinician"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// realStay returns record 132539 of PhysioNet 2012 set A (the stay that
// bench/outcome-latency.sh sends), skipping when ../shared/data is absent.
func realStay(tb testing.TB) *outcome.Stay {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	var path string
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "data", "physionet2012-set-a", "set-a.tar.gz")
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
		if filepath.Dir(d) == d {
			testenv.Missing(tb, "shared/data/physionet2012-set-a/set-a.tar.gz not found")
		}
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			tb.Fatalf("record 132539 not found in %s: %v", path, err)
		}
		if filepath.Base(h.Name) == "132539.txt" {
			s, _, err := outcome.ParseRecord("132539", tr)
			if err != nil {
				tb.Fatal(err)
			}
			return s
		}
	}
}

// BenchmarkOutcomePredictConcurrent sends a real stay from 16 concurrent
// clients per iteration, as bench/outcome-latency.sh does: auth, body hash,
// decoding, the explained prediction, the audit write (group commit) and
// the answer. ns/op is per 16 requests.
func BenchmarkOutcomePredictConcurrent(b *testing.B) {
	env := newOutcomeEnv(b)
	stay := realStay(b)
	const clients = 16
	for _, bc := range []struct {
		name, ct string
		body     []byte
	}{
		{"plain", "application/json", plainBody(b, stay)},
		{"fhir", "application/fhir+json", bundleBody(b, stay)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				var wg sync.WaitGroup
				for range clients {
					wg.Go(func() {
						if resp, body := env.post(b, galen.RoleClinician, "/v1/outcome/predict", bc.ct, "application/json", bc.body); resp.StatusCode != 200 {
							b.Errorf("status %d: %s", resp.StatusCode, body)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}
