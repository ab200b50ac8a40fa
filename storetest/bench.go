package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// Benchmark measures the store calls that sit on the request path: the
// audit write every request makes, resolving an alias, loading an artifact,
// and reading a page of the audit log. Store packages call it from a
// BenchmarkX function.
func Benchmark(b *testing.B, open Open) {
	ctx := context.Background()
	s := open(b).Store
	mustCreateModel(b, s, "bench", "outcome")
	artifact := make([]byte, 1<<20)
	for i := range artifact {
		artifact[i] = byte(i)
	}
	v := mustCreateVersion(b, s, "bench", artifact)
	if _, err := s.SetAlias(ctx, "bench", "production", v.Version); err != nil {
		b.Fatal(err)
	}
	event := func(i int) *galen.AuditEvent {
		return &galen.AuditEvent{
			Time:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
			KeyID: fmt.Sprintf("k%d", i%10), Role: galen.RoleClinician, Method: "POST",
			Route: "POST /v2/models/{name}/infer", Model: "bench", ModelVersion: 1,
			InputSHA256: keyHash(fmt.Sprint(i)), Status: 200, LatencyMS: 3.5,
		}
	}
	for i := range 1000 {
		if err := s.CreateAuditEvent(ctx, event(i)); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("CreateAuditEvent", func(b *testing.B) {
		i := 1000
		for b.Loop() {
			if err := s.CreateAuditEvent(ctx, event(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("FindModelVersionByAlias", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.FindModelVersion(ctx, "bench", "production"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LoadArtifact1MiB", func(b *testing.B) {
		b.SetBytes(int64(len(artifact)))
		for b.Loop() {
			if _, err := s.LoadArtifact(ctx, "bench", v.Version); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindAuditEventsByKeyPage", func(b *testing.B) {
		key := "k3"
		for b.Loop() {
			if _, _, err := s.FindAuditEvents(ctx, galen.AuditFilter{KeyID: &key, Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
