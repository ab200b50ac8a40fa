package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
)

// testBadText sends text that PostgreSQL cannot store (invalid UTF-8, NUL
// bytes) everywhere a caller can: writes must say EINVALID, lookups
// ENOTFOUND, never EINTERNAL; audit events are recorded regardless.
func testBadText(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	mustCreateVersion(t, s, "m", []byte("w"))
	const nul, bad = "a\x00b", "a\xffb"
	card := func(edit func(*galen.ModelCard)) galen.ModelCard { c := testCard(); edit(&c); return c }
	tests := []struct {
		name string
		fn   func() error
		want string
	}{
		{"model task", func() error { return s.CreateModel(ctx, &galen.Model{Name: "x1", Task: bad}) }, galen.EINVALID},
		{"model description", func() error { return s.CreateModel(ctx, &galen.Model{Name: "x2", Description: nul}) }, galen.EINVALID},
		{"version format", func() error {
			return s.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "m", Format: nul, Card: testCard()}, []byte("w"))
		}, galen.EINVALID},
		{"card limitations", func() error {
			c := card(func(c *galen.ModelCard) { c.Limitations = bad })
			return s.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "m", Format: "f", Card: c}, []byte("w"))
		}, galen.EINVALID},
		{"card metric name", func() error {
			c := card(func(c *galen.ModelCard) { c.Metrics = map[string]float64{nul: 1} })
			return s.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "m", Format: "f", Card: c}, []byte("w"))
		}, galen.EINVALID},
		{"version of bad model", func() error {
			return s.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: bad, Format: "f", Card: testCard()}, []byte("w"))
		}, galen.ENOTFOUND},
		{"find model", func() error { _, err := s.FindModelByName(ctx, bad); return err }, galen.ENOTFOUND},
		{"filter models", func() error { _, _, err := s.FindModels(ctx, galen.ModelFilter{Task: ptr(nul)}); return err }, galen.EINVALID},
		{"delete model", func() error { return s.DeleteModel(ctx, nul) }, galen.ENOTFOUND},
		{"find version of bad model", func() error { _, err := s.FindModelVersion(ctx, bad, "1"); return err }, galen.ENOTFOUND},
		{"find bad version", func() error { _, err := s.FindModelVersion(ctx, "m", nul); return err }, galen.ENOTFOUND},
		{"find versions", func() error { _, err := s.FindModelVersions(ctx, bad); return err }, galen.ENOTFOUND},
		{"load artifact", func() error { _, err := s.LoadArtifact(ctx, nul, 1); return err }, galen.ENOTFOUND},
		{"set bad alias", func() error { _, err := s.SetAlias(ctx, "m", bad, 1); return err }, galen.EINVALID},
		{"set alias of bad model", func() error { _, err := s.SetAlias(ctx, nul, "production", 1); return err }, galen.ENOTFOUND},
		{"roll back bad alias", func() error { _, err := s.RollbackAlias(ctx, "m", nul); return err }, galen.ENOTFOUND},
		{"roll back alias of bad model", func() error { _, err := s.RollbackAlias(ctx, bad, "production"); return err }, galen.ENOTFOUND},
		{"aliases", func() error { _, err := s.FindAliases(ctx, bad); return err }, galen.ENOTFOUND},
		{"key name", func() error {
			return s.CreateAPIKey(ctx, &galen.APIKey{ID: "k", Name: bad, Role: galen.RoleAdmin, Prefix: "p", Hash: keyHash("k")})
		}, galen.EINVALID},
		{"key id", func() error {
			return s.CreateAPIKey(ctx, &galen.APIKey{ID: nul, Role: galen.RoleAdmin, Prefix: "p", Hash: keyHash("k")})
		}, galen.EINVALID},
		{"key by hash", func() error { _, err := s.FindAPIKeyByHash(ctx, nul); return err }, galen.ENOTFOUND},
		{"revoke key", func() error { return s.RevokeAPIKey(ctx, bad) }, galen.ENOTFOUND},
		{"audit filter", func() error { _, _, err := s.FindAuditEvents(ctx, galen.AuditFilter{Model: ptr(bad)}); return err }, galen.EINVALID},
		{"audit event", func() error {
			e := &galen.AuditEvent{KeyID: nul, Route: bad, Model: bad, Method: nul, Status: 404, Client: bad}
			if err := s.CreateAuditEvent(ctx, e); err != nil {
				return err
			}
			got, _, err := s.FindAuditEvents(ctx, galen.AuditFilter{Model: &e.Model})
			if err == nil && (len(got) != 1 || !reflect.DeepEqual(got[0], e)) {
				err = fmt.Errorf("stored %+v, found %v", e, got)
			}
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.fn(), tt.want) })
	}
}

// testCanceled checks that a cancelled context stops work with an error
// that says so.
func testCanceled(t *testing.T, open Open) {
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		fn   func() error
	}{
		{"find model", func() error { _, err := s.FindModelByName(ctx, "m"); return err }},
		{"create model", func() error { return s.CreateModel(ctx, &galen.Model{Name: "n"}) }},
		{"create version", func() error {
			return s.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "m", Format: "f", Card: testCard()}, []byte("w"))
		}},
		{"audit", func() error { return s.CreateAuditEvent(ctx, &galen.AuditEvent{KeyID: "k"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(); !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want one wrapping context.Canceled", err)
			}
		})
	}
	if _, err := s.FindModelVersion(context.Background(), "m", "1"); galen.ErrorCode(err) != galen.ENOTFOUND {
		t.Errorf("a cancelled CreateModelVersion left a version behind (err %v)", err)
	}
}

// Fuzz feeds arbitrary text to every method that takes a name or free text,
// on one store. Methods must answer with their documented codes, never
// EINTERNAL or a panic. Store packages call it from a FuzzX function.
func Fuzz(f *testing.F, open Open) {
	for _, seed := range []string{"", "m", "1", "0", "-1", "production", "a\x00b", "\xff", "ICU", "a b", "é",
		strings.Repeat("9", 30), strings.Repeat("a", 65), "'; DROP TABLE models; --", "%", "_", "a.b-c_d"} {
		f.Add(seed)
	}
	ctx := context.Background()
	s := open(f).Store
	mustCreateModel(f, s, "m", "outcome")
	mustCreateVersion(f, s, "m", []byte("w"))
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	f.Fuzz(func(t *testing.T, in string) {
		check := func(what string, err error, allowed ...string) {
			t.Helper()
			if code := galen.ErrorCode(err); code != "" && !slices.Contains(allowed, code) {
				t.Fatalf("%s(%q): %v (code %q), want one of %q", what, in, err, code, allowed)
			}
		}
		err := s.CreateModel(ctx, &galen.Model{Name: in, Task: in, Description: in})
		check("CreateModel", err, galen.EINVALID, galen.ECONFLICT)
		if err == nil && !valid.MatchString(in) {
			t.Fatalf("CreateModel accepted the name %q", in)
		}
		_, err = s.FindModelByName(ctx, in)
		check("FindModelByName", err, galen.ENOTFOUND)
		_, _, err = s.FindModels(ctx, galen.ModelFilter{Name: &in, Task: &in})
		check("FindModels", err, galen.EINVALID)
		_, err = s.FindModelVersion(ctx, "m", in)
		check("FindModelVersion", err, galen.ENOTFOUND)
		_, err = s.FindModelVersion(ctx, in, in)
		check("FindModelVersion", err, galen.ENOTFOUND)
		v := &galen.ModelVersion{ModelName: "m", Format: in, Card: galen.ModelCard{Task: in, TrainingData: in, DataLicense: in, Metrics: map[string]float64{in: 1}}}
		err = s.CreateModelVersion(ctx, v, []byte(in))
		check("CreateModelVersion", err, galen.EINVALID)
		if err == nil {
			got, err := s.LoadArtifact(ctx, "m", v.Version)
			if err != nil || string(got) != in {
				t.Fatalf("LoadArtifact = %q, %v; want %q", got, err, in)
			}
		}
		a, err := s.SetAlias(ctx, "m", in, 1)
		check("SetAlias", err, galen.EINVALID)
		if err == nil && (!valid.MatchString(in) || a.Version != 1) {
			t.Fatalf("SetAlias(%q) = %+v", in, a)
		}
		_, err = s.RollbackAlias(ctx, "m", in)
		check("RollbackAlias", err, galen.ENOTFOUND)
		_, err = s.FindAliases(ctx, in)
		check("FindAliases", err, galen.ENOTFOUND)
		_, err = s.FindAPIKeyByHash(ctx, in)
		check("FindAPIKeyByHash", err, galen.ENOTFOUND)
		check("RevokeAPIKey", s.RevokeAPIKey(ctx, in), galen.ENOTFOUND)
		check("CreateAuditEvent", s.CreateAuditEvent(ctx, &galen.AuditEvent{KeyID: in, Model: in, Route: in, InputSHA256: in, Client: in}))
		_, _, err = s.FindAuditEvents(ctx, galen.AuditFilter{KeyID: &in, Model: &in})
		check("FindAuditEvents", err, galen.EINVALID)
	})
}
