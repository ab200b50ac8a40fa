package api

import (
	"encoding/json"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// peakHeap runs fn and returns the most heap it saw allocated above what
// was allocated before, sampling every millisecond.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
				peak.Store(m.HeapAlloc - base)
			}
		}
	}()
	fn()
	close(done)
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > base {
		peak.Store(max(peak.Load(), ms.HeapAlloc-base))
	}
	return peak.Load()
}

// TestDecodeMemoryBounded pins the memory bound found by issue 7's body
// flood: a tensor whose data holds far more elements than its shape (a
// million numbers or strings, 2-3 MB, for a shape of 1) is refused without
// holding them; the general path once built a tree of every element
// (over 50 MB here, 1.6 GB for a 30 MB body).
func TestDecodeMemoryBounded(t *testing.T) {
	nums := "[" + strings.Repeat("1,", 1<<20) + "1]"
	strs := "[" + strings.Repeat(`"",`, 1<<20) + `""]`
	tests := []struct {
		name, datatype, data string
	}{
		{"numbers", "FP64", nums},
		{"integers", "INT64", nums},
		{"strings", "BYTES", strs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := InferTensor{Name: "x", Datatype: tt.datatype, Shape: []int64{1}, Data: json.RawMessage(tt.data)}
			var err error
			peak := peakHeap(func() { _, err = it.Decode() })
			if galen.ErrorCode(err) != galen.EINVALID || !strings.Contains(err.Error(), "needs 1 elements") {
				t.Fatalf("Decode: %v, want the count error", err)
			}
			t.Logf("%d bytes of data: peak heap %d MiB", len(tt.data), peak>>20)
			if peak > 24<<20 {
				t.Errorf("peak heap %d MiB for %d MiB of data", peak>>20, len(tt.data)>>20)
			}
		})
	}
}
