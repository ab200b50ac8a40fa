package httpapi

import (
	"bytes"
	"io"
	"testing"
)

// TestReadAllGrowth checks readAll's buffer: a declared length does not
// allocate before the bytes come, and a body of known length ends in a
// buffer of about its size.
func TestReadAllGrowth(t *testing.T) {
	tests := []struct {
		name     string
		declared int64 // Content-Length, -1 unknown
		sent     int
		maxCap   int
	}{
		{"large declared, little sent", 32 << 20, 100, 1<<20 + 1},
		{"known length", 3 << 20, 3 << 20, 3<<20 + 1},
		{"small known length", 100, 100, 512},
		{"unknown length", -1, 3 << 20, 4 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bytes.Repeat([]byte{'x'}, tt.sent)
			b, err := readAll(io.MultiReader(bytes.NewReader(body)), tt.declared)
			if err != nil || !bytes.Equal(b, body) {
				t.Fatalf("readAll = %d bytes, %v; want the %d sent", len(b), err, tt.sent)
			}
			if cap(b) > tt.maxCap {
				t.Errorf("buffer of %d bytes for %d sent (declared %d), want at most %d", cap(b), tt.sent, tt.declared, tt.maxCap)
			}
		})
	}
}
