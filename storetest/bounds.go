package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/galenhealth/galen"
)

// This file holds the conformance tests of issue 7 (hardening): the last
// admin key, bounded audit events and pages, bounded model cards, and keys
// hashed with a KDF.

// testLastAdminKey checks that the last active admin key cannot be revoked
// (ECONFLICT), and that it can once another admin key exists.
func testLastAdminKey(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mk := func(id string, role galen.Role) {
		t.Helper()
		if err := s.CreateAPIKey(ctx, &galen.APIKey{ID: id, Role: role, Prefix: "glk_", Hash: keyHash(id)}); err != nil {
			t.Fatal(err)
		}
	}
	mk("admin-1", galen.RoleAdmin)
	mk("clinician-1", galen.RoleClinician)
	steps := []struct {
		name   string
		create string // admin key to create first, if any
		revoke string
		want   string
	}{
		{"last admin refused", "", "admin-1", galen.ECONFLICT},
		{"other roles are no admins", "", "clinician-1", ""},
		{"still refused", "", "admin-1", galen.ECONFLICT},
		{"allowed with a second admin", "admin-2", "admin-1", ""},
		{"revoked admin revoked again", "", "admin-1", ""},
		{"the second is now the last", "", "admin-2", galen.ECONFLICT},
		{"unknown", "", "nobody", galen.ENOTFOUND},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.create != "" {
				mk(st.create, galen.RoleAdmin)
			}
			wantCode(t, s.RevokeAPIKey(ctx, st.revoke), st.want)
		})
	}
	t.Run("refusal changed nothing", func(t *testing.T) {
		k, err := s.FindAPIKeyByHash(ctx, keyHash("admin-2"))
		if err != nil || k.RevokedAt != nil {
			t.Errorf("admin-2 = %+v, %v; want active", k, err)
		}
	})
}

// testConcurrentAdminRevokes has admins revoke each other all at once: one
// of them must stay active, whatever the interleaving.
func testConcurrentAdminRevokes(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	const n = 6
	for i := range n {
		id := "admin-" + string(rune('a'+i))
		if err := s.CreateAPIKey(ctx, &galen.APIKey{ID: id, Role: galen.RoleAdmin, Prefix: "glk_", Hash: keyHash(id)}); err != nil {
			t.Fatal(err)
		}
	}
	var ok, conflict atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.RevokeAPIKey(ctx, "admin-"+string(rune('a'+i)))
			switch galen.ErrorCode(err) {
			case "":
				ok.Add(1)
			case galen.ECONFLICT:
				conflict.Add(1)
			default:
				t.Errorf("RevokeAPIKey: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != n-1 || conflict.Load() != 1 {
		t.Errorf("%d revoked, %d refused; want %d and 1", ok.Load(), conflict.Load(), n-1)
	}
	keys, err := s.FindAPIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, k := range keys {
		if k.RevokedAt == nil {
			active++
		}
	}
	if active != 1 {
		t.Errorf("%d active admin keys, want 1", active)
	}
}

// testAuditBounds checks that an event with huge fields is stored cut to
// galen.MaxAuditField bytes per field, that its JSON stays within
// galen.MaxAuditEventBytes, and that a page holds at most
// galen.MaxAuditPage events whatever Limit asks.
func testAuditBounds(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	huge := strings.Repeat("m", 1<<20)
	e := &galen.AuditEvent{KeyID: huge, Role: galen.Role(huge), Method: huge, Route: huge, Model: huge, InputSHA256: huge, Client: huge, Status: 401}
	if err := s.CreateAuditEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	cut := strings.Repeat("m", 125) + "…" // 128 bytes, by hand
	got, _, err := s.FindAuditEvents(ctx, galen.AuditFilter{Model: &cut})
	if err != nil || len(got) != 1 {
		t.Fatalf("FindAuditEvents(model cut) = %v, %v; want the event", got, err)
	}
	for _, f := range []string{got[0].KeyID, string(got[0].Role), got[0].Method, got[0].Route, got[0].Model, got[0].InputSHA256, got[0].Client} {
		if f != cut {
			t.Fatalf("stored field of %d bytes, want %d", len(f), len(cut))
		}
	}
	if b, _ := json.Marshal(got[0]); len(b) > galen.MaxAuditEventBytes {
		t.Errorf("stored event is %d bytes of JSON, over %d", len(b), galen.MaxAuditEventBytes)
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range (galen.MaxAuditPage + 8) / 8 {
				if err := s.CreateAuditEvent(ctx, &galen.AuditEvent{KeyID: "k", Method: "GET", Route: "/v1/audit", Status: 200}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, limit := range []int{0, galen.MaxAuditPage + 1, 1 << 30} {
		page, total, err := s.FindAuditEvents(ctx, galen.AuditFilter{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != galen.MaxAuditPage || total != galen.MaxAuditPage+9 {
			t.Errorf("limit %d: page of %d, total %d; want %d of %d", limit, len(page), total, galen.MaxAuditPage, galen.MaxAuditPage+9)
		}
	}
}

// testCardBounds checks that a store refuses a model card or description
// over the bounds of galen.ModelVersion.Validate and galen.Model.Validate,
// and stores nothing.
func testCardBounds(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	many := map[string]float64{}
	for i := range galen.MaxMetrics + 1 {
		many["metric-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i/26)] = 1
	}
	tests := []struct {
		name string
		fn   func() error
	}{
		{"20 MB limitations", func() error {
			c := testCard()
			c.Limitations = strings.Repeat("l", 20<<20)
			return s.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "m", Format: "f", Card: c}, []byte("w"))
		}},
		{"too many metrics", func() error {
			c := testCard()
			c.Metrics = many
			return s.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "m", Format: "f", Card: c}, []byte("w"))
		}},
		{"long description", func() error {
			return s.CreateModel(ctx, &galen.Model{Name: "x", Description: strings.Repeat("d", galen.MaxDescriptionBytes+1)})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.fn(), galen.EINVALID) })
	}
	if vs, err := s.FindModelVersions(ctx, "m"); err != nil || len(vs) != 0 {
		t.Errorf("versions after refusals: %v, %v; want none", vs, err)
	}
}

// testKDFKey checks that a key hashed with a KDF keeps its KDF parameters.
func testKDFKey(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	k := &galen.APIKey{ID: "chosen", Role: galen.RoleAdmin, Prefix: "chosen", Hash: keyHash("derived"), KDF: "argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA"}
	if err := s.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindAPIKeyByHash(ctx, k.Hash)
	if err != nil || got.KDF != k.KDF {
		t.Errorf("FindAPIKeyByHash = %+v, %v; want KDF %q", got, err, k.KDF)
	}
	keys, err := s.FindAPIKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].KDF != k.KDF {
		t.Errorf("FindAPIKeys = %v, %v; want the key with its KDF", keys, err)
	}
}
