package httpapi

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/galenhealth/galen/inference"
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
