// Package storetest is the conformance suite for implementations of
// galen.Store. Every store package runs it from its tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(tb testing.TB) storetest.Harness { ... })
//	}
//
// The suite fixes the behaviour the interfaces document: error codes,
// version numbering, alias history, SHA-256 checks on artifacts, audit
// filters and ordering.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// Harness is one new, empty store under test.
type Harness struct {
	Store galen.Store
	// CorruptArtifact changes the stored bytes of a model version behind the
	// store's back, leaving its recorded SHA-256 and size as they were.
	// Implementations do it with raw SQL.
	CorruptArtifact func(ctx context.Context, model string, version int) error
	// Reopen opens another store on the same database, as another process
	// would (for SQLite, a second handle on the same file), closed at
	// cleanup. The WithLock tests need it.
	Reopen func(tb testing.TB) galen.Store
}

// Open returns a new, empty store for one subtest. It registers its own
// cleanup (closing the store, removing files or schemas) with tb.
type Open func(tb testing.TB) Harness

// Run runs the whole suite; each subtest opens its own store.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"Ping", testPing},
		{"CreateModel", testCreateModel},
		{"FindModels", testFindModels},
		{"ConsistentCounts", testConsistentCounts},
		{"DeleteModel", testDeleteModel},
		{"CreateModelVersion", testCreateModelVersion},
		{"ConcurrentVersions", testConcurrentVersions},
		{"FindModelVersion", testFindModelVersion},
		{"LoadArtifact", testLoadArtifact},
		{"Aliases", testAliases},
		{"AliasHistory", testAliasHistory},
		{"ConcurrentAliases", testConcurrentAliases},
		{"APIKeys", testAPIKeys},
		{"Audit", testAudit},
		{"AuditAppendOnly", testAuditAppendOnly},
		{"BadText", testBadText},
		{"Canceled", testCanceled},
		{"WithLock", testWithLock},
		{"KG", testKG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// wantCode fails unless err carries the galen error code want ("" for nil).
func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := galen.ErrorCode(err); got != want {
		tb.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}

// near fails unless got lies within a few seconds of want; stores may round
// times to microseconds.
func near(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if d := got.Sub(want); d < -5*time.Second || d > 5*time.Second {
		tb.Errorf("%s = %v, want about %v", what, got, want)
	}
}

func mustCreateModel(tb testing.TB, s galen.Store, name, task string) *galen.Model {
	tb.Helper()
	m := &galen.Model{Name: name, Task: task, Description: "test model " + name}
	if err := s.CreateModel(context.Background(), m); err != nil {
		tb.Fatalf("CreateModel(%q): %v", name, err)
	}
	return m
}

func testCard() galen.ModelCard {
	return galen.ModelCard{
		Task:         "outcome",
		TrainingData: "physionet2012-set-a, 4000 ICU stays",
		DataLicense:  "ODC-By 1.0",
		Split:        "70/15/15 by patient, stratified",
		Seed:         42,
		Metrics:      map[string]float64{"auroc": 0.84, "auprc": 0.47},
		IntendedUse:  "research on in-hospital mortality risk",
		Limitations:  "adults only; one hospital system",
	}
}

func mustCreateVersion(tb testing.TB, s galen.Store, model string, artifact []byte) *galen.ModelVersion {
	tb.Helper()
	v := &galen.ModelVersion{ModelName: model, Format: "test/v1", Card: testCard(), CreatedBy: "key-1"}
	if err := s.CreateModelVersion(context.Background(), v, artifact); err != nil {
		tb.Fatalf("CreateModelVersion(%q): %v", model, err)
	}
	return v
}

func testPing(t *testing.T, open Open) {
	h := open(t)
	if err := h.Store.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testCreateModel(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	tests := []struct {
		name      string
		modelName string
		wantCode  string
	}{
		{"simple", "icu-mortality", ""},
		{"one char", "a", ""},
		{"digit first", "2d-cnn", ""},
		{"dots and underscores", "text_clf.v2", ""},
		{"64 chars", strings.Repeat("m", 64), ""},
		{"empty", "", galen.EINVALID},
		{"65 chars", strings.Repeat("m", 65), galen.EINVALID},
		{"upper case", "ICU", galen.EINVALID},
		{"leading dash", "-x", galen.EINVALID},
		{"leading dot", ".x", galen.EINVALID},
		{"space", "icu mortality", galen.EINVALID},
		{"slash", "icu/mortality", galen.EINVALID},
		{"non-ascii", "modèle", galen.EINVALID},
		{"duplicate", "icu-mortality", galen.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			m := &galen.Model{Name: tt.modelName, Task: "outcome", Description: "d"}
			err := s.CreateModel(ctx, m)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			if m.ID == 0 {
				t.Error("CreateModel did not set ID")
			}
			near(t, "CreatedAt", m.CreatedAt, before)
			if !m.UpdatedAt.Equal(m.CreatedAt) {
				t.Errorf("UpdatedAt = %v, want CreatedAt %v", m.UpdatedAt, m.CreatedAt)
			}
			got, err := s.FindModelByName(ctx, tt.modelName)
			if err != nil {
				t.Fatalf("FindModelByName: %v", err)
			}
			if got.ID != m.ID || got.Name != m.Name || got.Task != m.Task || got.Description != m.Description ||
				!got.CreatedAt.Equal(m.CreatedAt) || !got.UpdatedAt.Equal(m.UpdatedAt) {
				t.Errorf("FindModelByName = %+v, want %+v", got, m)
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		_, err := s.FindModelByName(ctx, "no-such-model")
		wantCode(t, err, galen.ENOTFOUND)
	})
}

func testFindModels(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	// Created out of order: results must come back ordered by name.
	for _, m := range []struct{ name, task string }{
		{"d-model", "image"}, {"a-model", "outcome"}, {"c-model", "diagnosis"}, {"b-model", "outcome"}, {"e-model", "outcome"},
	} {
		mustCreateModel(t, s, m.name, m.task)
	}
	str := func(s string) *string { return &s }
	tests := []struct {
		name      string
		filter    galen.ModelFilter
		want      []string
		wantTotal int
		wantCode  string
	}{
		{"all", galen.ModelFilter{}, []string{"a-model", "b-model", "c-model", "d-model", "e-model"}, 5, ""},
		{"by name", galen.ModelFilter{Name: str("c-model")}, []string{"c-model"}, 1, ""},
		{"by unknown name", galen.ModelFilter{Name: str("zzz")}, nil, 0, ""},
		{"by task", galen.ModelFilter{Task: str("outcome")}, []string{"a-model", "b-model", "e-model"}, 3, ""},
		{"by name and task", galen.ModelFilter{Name: str("d-model"), Task: str("outcome")}, nil, 0, ""},
		{"limit", galen.ModelFilter{Limit: 2}, []string{"a-model", "b-model"}, 5, ""},
		{"offset", galen.ModelFilter{Offset: 3}, []string{"d-model", "e-model"}, 5, ""},
		{"offset and limit", galen.ModelFilter{Offset: 1, Limit: 2}, []string{"b-model", "c-model"}, 5, ""},
		{"task with limit", galen.ModelFilter{Task: str("outcome"), Offset: 1, Limit: 1}, []string{"b-model"}, 3, ""},
		{"offset past end", galen.ModelFilter{Offset: 10}, nil, 5, ""},
		{"negative limit", galen.ModelFilter{Limit: -1}, nil, 0, galen.EINVALID},
		{"negative offset", galen.ModelFilter{Offset: -1}, nil, 0, galen.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.FindModels(ctx, tt.filter)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			var names []string
			for _, m := range got {
				names = append(names, m.Name)
			}
			if !slices.Equal(names, tt.want) || total != tt.wantTotal {
				t.Errorf("FindModels = %v, total %d; want %v, total %d", names, total, tt.want, tt.wantTotal)
			}
		})
	}
}

func testDeleteModel(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "doomed", "outcome")
	mustCreateModel(t, s, "kept", "outcome")
	for range 2 {
		mustCreateVersion(t, s, "doomed", []byte("weights"))
	}
	mustCreateVersion(t, s, "kept", []byte("kept weights"))
	if _, err := s.SetAlias(ctx, "doomed", "production", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetAlias(ctx, "kept", "production", 1); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteModel(ctx, "doomed"); err != nil {
		t.Fatalf("DeleteModel: %v", err)
	}
	tests := []struct {
		name string
		fn   func() error
		want string
	}{
		{"find model", func() error { _, err := s.FindModelByName(ctx, "doomed"); return err }, galen.ENOTFOUND},
		{"find version", func() error { _, err := s.FindModelVersion(ctx, "doomed", "1"); return err }, galen.ENOTFOUND},
		{"find alias", func() error { _, err := s.FindModelVersion(ctx, "doomed", "production"); return err }, galen.ENOTFOUND},
		{"find versions", func() error { _, err := s.FindModelVersions(ctx, "doomed"); return err }, galen.ENOTFOUND},
		{"load artifact", func() error { _, err := s.LoadArtifact(ctx, "doomed", 1); return err }, galen.ENOTFOUND},
		{"delete again", func() error { return s.DeleteModel(ctx, "doomed") }, galen.ENOTFOUND},
		{"delete unknown", func() error { return s.DeleteModel(ctx, "never-existed") }, galen.ENOTFOUND},
		{"other model intact", func() error {
			v, err := s.FindModelVersion(ctx, "kept", "production")
			if err == nil && v.Version != 1 {
				err = fmt.Errorf("kept production = %d, want 1", v.Version)
			}
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.fn(), tt.want) })
	}

	t.Run("name reusable", func(t *testing.T) {
		mustCreateModel(t, s, "doomed", "image")
		v := mustCreateVersion(t, s, "doomed", []byte("new weights"))
		if v.Version != 1 {
			t.Errorf("first version of re-created model = %d, want 1", v.Version)
		}
		aliases, err := s.FindAliases(ctx, "doomed")
		if err != nil || len(aliases) != 0 {
			t.Errorf("FindAliases of re-created model = %v, %v; want none", aliases, err)
		}
		_, err = s.RollbackAlias(ctx, "doomed", "production")
		wantCode(t, err, galen.ENOTFOUND)
	})
}

func testCreateModelVersion(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	m := mustCreateModel(t, s, "icu-mortality", "outcome")
	card := testCard()
	without := func(edit func(*galen.ModelCard)) galen.ModelCard {
		c := testCard()
		edit(&c)
		return c
	}
	tests := []struct {
		name     string
		model    string
		format   string
		card     galen.ModelCard
		artifact []byte
		wantCode string
		wantVer  int
	}{
		{"first", "icu-mortality", "test/v1", card, []byte("version one"), "", 1},
		{"second", "icu-mortality", "test/v1", card, []byte("version two"), "", 2},
		{"unknown model", "no-such-model", "test/v1", card, []byte("x"), galen.ENOTFOUND, 0},
		{"empty artifact", "icu-mortality", "test/v1", card, nil, galen.EINVALID, 0},
		{"no format", "icu-mortality", "", card, []byte("x"), galen.EINVALID, 0},
		{"no task", "icu-mortality", "test/v1", without(func(c *galen.ModelCard) { c.Task = "" }), []byte("x"), galen.EINVALID, 0},
		{"blank training data", "icu-mortality", "test/v1", without(func(c *galen.ModelCard) { c.TrainingData = "  " }), []byte("x"), galen.EINVALID, 0},
		{"no license", "icu-mortality", "test/v1", without(func(c *galen.ModelCard) { c.DataLicense = "" }), []byte("x"), galen.EINVALID, 0},
		{"third after failures", "icu-mortality", "test/v1", galen.ModelCard{Task: "t", TrainingData: "d", DataLicense: "l"}, []byte{0, 1, 2, 255}, "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			v := &galen.ModelVersion{ModelName: tt.model, Format: tt.format, Card: tt.card, CreatedBy: "key-7"}
			err := s.CreateModelVersion(ctx, v, tt.artifact)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			sum := sha256.Sum256(tt.artifact)
			if v.Version != tt.wantVer || v.SHA256 != hex.EncodeToString(sum[:]) || v.Size != int64(len(tt.artifact)) || v.ModelID != m.ID {
				t.Errorf("version %d sha %s size %d model id %d; want %d %x %d %d",
					v.Version, v.SHA256, v.Size, v.ModelID, tt.wantVer, sum, len(tt.artifact), m.ID)
			}
			near(t, "CreatedAt", v.CreatedAt, before)
			got, err := s.FindModelVersion(ctx, tt.model, strconv.Itoa(v.Version))
			if err != nil {
				t.Fatalf("FindModelVersion: %v", err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("FindModelVersion = %+v\nwant %+v", got, v)
			}
		})
	}

	t.Run("model updated", func(t *testing.T) {
		got, err := s.FindModelByName(ctx, "icu-mortality")
		if err != nil {
			t.Fatal(err)
		}
		if got.UpdatedAt.Before(m.UpdatedAt) {
			t.Errorf("UpdatedAt went back from %v to %v", m.UpdatedAt, got.UpdatedAt)
		}
	})
	t.Run("artifact copied", func(t *testing.T) {
		buf := []byte("original bytes")
		v := mustCreateVersion(t, s, "icu-mortality", buf)
		copy(buf, "CHANGED")
		got, err := s.LoadArtifact(ctx, "icu-mortality", v.Version)
		if err != nil || string(got) != "original bytes" {
			t.Errorf("LoadArtifact = %q, %v; want the bytes as they were when stored", got, err)
		}
	})
	t.Run("versions oldest first", func(t *testing.T) {
		vs, err := s.FindModelVersions(ctx, "icu-mortality")
		if err != nil {
			t.Fatal(err)
		}
		var nums []int
		for _, v := range vs {
			nums = append(nums, v.Version)
			if v.ModelName != "icu-mortality" || v.Format != "test/v1" || v.Size == 0 || len(v.SHA256) != 64 {
				t.Errorf("version %d incomplete: %+v", v.Version, v)
			}
		}
		if !slices.Equal(nums, []int{1, 2, 3, 4}) {
			t.Errorf("FindModelVersions = %v, want [1 2 3 4]", nums)
		}
		if !reflect.DeepEqual(vs[0].Card, card) {
			t.Errorf("card = %+v, want %+v", vs[0].Card, card)
		}
	})
	t.Run("versions of unknown model", func(t *testing.T) {
		_, err := s.FindModelVersions(ctx, "no-such-model")
		wantCode(t, err, galen.ENOTFOUND)
	})
	t.Run("versions of model without versions", func(t *testing.T) {
		mustCreateModel(t, s, "empty-model", "outcome")
		vs, err := s.FindModelVersions(ctx, "empty-model")
		if err != nil || len(vs) != 0 {
			t.Errorf("FindModelVersions = %v, %v; want none", vs, err)
		}
	})
}

func testConcurrentVersions(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "busy-model", "outcome")
	mustCreateModel(t, s, "other-model", "outcome")
	const n = 12
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		got  []int
		errs []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			model := "busy-model"
			if i%4 == 3 {
				model = "other-model"
			}
			v := &galen.ModelVersion{ModelName: model, Format: "test/v1", Card: testCard()}
			err := s.CreateModelVersion(ctx, v, []byte(fmt.Sprintf("artifact %d", i)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if model == "busy-model" {
				got = append(got, v.Version)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent CreateModelVersion: %v", err)
	}
	slices.Sort(got)
	want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9}
	if !slices.Equal(got, want) {
		t.Errorf("versions handed out = %v, want %v", got, want)
	}
	for model, wantN := range map[string]int{"busy-model": 9, "other-model": 3} {
		vs, err := s.FindModelVersions(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vs {
			if v.Version != i+1 {
				t.Errorf("%s: version at %d is %d", model, i, v.Version)
			}
			if _, err := s.LoadArtifact(ctx, model, v.Version); err != nil {
				t.Errorf("%s: LoadArtifact(%d): %v", model, v.Version, err)
			}
		}
		if len(vs) != wantN {
			t.Errorf("%s has %d versions, want %d", model, len(vs), wantN)
		}
	}
}

func testFindModelVersion(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "clf", "diagnosis")
	mustCreateModel(t, s, "other", "diagnosis")
	for range 3 {
		mustCreateVersion(t, s, "clf", []byte("w"))
	}
	mustCreateVersion(t, s, "other", []byte("w"))
	if _, err := s.SetAlias(ctx, "clf", "production", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetAlias(ctx, "clf", "staging", 1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, model, version string
		want                 int
		wantCode             string
	}{
		{"number", "clf", "2", 2, ""},
		{"alias", "clf", "production", 3, ""},
		{"same version by number", "clf", "3", 3, ""},
		{"second alias", "clf", "staging", 1, ""},
		{"zero", "clf", "0", 0, galen.ENOTFOUND},
		{"past last", "clf", "4", 0, galen.ENOTFOUND},
		{"huge number", "clf", "99999999999999999999999", 0, galen.ENOTFOUND},
		{"negative", "clf", "-1", 0, galen.ENOTFOUND},
		{"unknown alias", "clf", "canary", 0, galen.ENOTFOUND},
		{"empty", "clf", "", 0, galen.ENOTFOUND},
		{"alias of another model", "other", "production", 0, galen.ENOTFOUND},
		{"unknown model", "nope", "1", 0, galen.ENOTFOUND},
		{"unknown model alias", "nope", "production", 0, galen.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := s.FindModelVersion(ctx, tt.model, tt.version)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			if v.Version != tt.want || v.ModelName != tt.model {
				t.Errorf("FindModelVersion = %s v%d, want %s v%d", v.ModelName, v.Version, tt.model, tt.want)
			}
		})
	}
}

func testLoadArtifact(t *testing.T, open Open) {
	ctx := context.Background()
	h := open(t)
	s := h.Store
	mustCreateModel(t, s, "img", "image")
	big := make([]byte, 3<<20) // more than one page, block or packet
	for i := range big {
		big[i] = byte(i * 7)
	}
	artifacts := [][]byte{[]byte("small"), big, []byte("third")}
	for _, a := range artifacts {
		mustCreateVersion(t, s, "img", a)
	}
	if err := h.CorruptArtifact(ctx, "img", 3); err != nil {
		t.Fatalf("CorruptArtifact: %v", err)
	}
	tests := []struct {
		name     string
		model    string
		version  int
		want     []byte
		wantCode string
	}{
		{"small", "img", 1, artifacts[0], ""},
		{"large", "img", 2, artifacts[1], ""},
		{"tampered", "img", 3, nil, galen.EINTERNAL},
		{"unknown version", "img", 4, nil, galen.ENOTFOUND},
		{"version zero", "img", 0, nil, galen.ENOTFOUND},
		{"unknown model", "nope", 1, nil, galen.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.LoadArtifact(ctx, tt.model, tt.version)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				if got != nil {
					t.Errorf("LoadArtifact returned %d bytes with its error", len(got))
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LoadArtifact returned %d bytes that differ from the %d stored", len(got), len(tt.want))
			}
		})
	}
	t.Run("tampered version still listed", func(t *testing.T) {
		v, err := s.FindModelVersion(ctx, "img", "3")
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(artifacts[2])
		if v.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("recorded SHA-256 changed to %s", v.SHA256)
		}
	})
}

func testAliases(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	mustCreateModel(t, s, "bare", "outcome")
	for range 2 {
		mustCreateVersion(t, s, "m", []byte("w"))
	}
	tests := []struct {
		name, model, alias string
		version            int
		wantCode           string
	}{
		{"set", "m", "production", 1, ""},
		{"second alias", "m", "staging", 2, ""},
		{"move", "m", "production", 2, ""},
		{"same version again", "m", "production", 2, ""},
		{"alias with dash and dot", "m", "canary-eu.1", 1, ""},
		{"unknown model", "nope", "production", 1, galen.ENOTFOUND},
		{"unknown version", "m", "production", 3, galen.ENOTFOUND},
		{"version zero", "m", "production", 0, galen.ENOTFOUND},
		{"model without versions", "bare", "production", 1, galen.ENOTFOUND},
		{"numeric name", "m", "3", 1, galen.EINVALID},
		{"numeric name of existing version", "m", "1", 1, galen.EINVALID},
		{"empty name", "m", "", 1, galen.EINVALID},
		{"name with space", "m", "prod uction", 1, galen.EINVALID},
		{"upper case name", "m", "Production", 1, galen.EINVALID},
		{"name too long", "m", strings.Repeat("a", 65), 1, galen.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			a, err := s.SetAlias(ctx, tt.model, tt.alias, tt.version)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			if a.ModelName != tt.model || a.Name != tt.alias || a.Version != tt.version {
				t.Errorf("SetAlias = %+v", a)
			}
			near(t, "UpdatedAt", a.UpdatedAt, before)
			v, err := s.FindModelVersion(ctx, tt.model, tt.alias)
			if err != nil || v.Version != tt.version {
				t.Errorf("FindModelVersion(%q) = %v, %v; want version %d", tt.alias, v, err, tt.version)
			}
		})
	}
	t.Run("list", func(t *testing.T) {
		as, err := s.FindAliases(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			got = append(got, fmt.Sprintf("%s@%d", a.Name, a.Version))
			if a.ModelName != "m" {
				t.Errorf("alias %s has model %q", a.Name, a.ModelName)
			}
		}
		want := []string{"canary-eu.1@1", "production@2", "staging@2"}
		if !slices.Equal(got, want) {
			t.Errorf("FindAliases = %v, want %v", got, want)
		}
	})
	t.Run("list of model without aliases", func(t *testing.T) {
		as, err := s.FindAliases(ctx, "bare")
		if err != nil || len(as) != 0 {
			t.Errorf("FindAliases = %v, %v; want none", as, err)
		}
	})
	t.Run("list of unknown model", func(t *testing.T) {
		_, err := s.FindAliases(ctx, "nope")
		wantCode(t, err, galen.ENOTFOUND)
	})
}

func testAliasHistory(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	for range 4 {
		mustCreateVersion(t, s, "m", []byte("w"))
	}
	// Each step sets (set > 0) or rolls back (set == 0) an alias and checks
	// where it points afterwards.
	steps := []struct {
		name     string
		alias    string
		set      int
		want     int
		wantCode string
	}{
		{"set 1", "production", 1, 1, ""},
		{"move to 2", "production", 2, 2, ""},
		{"move to 3", "production", 3, 3, ""},
		{"other alias", "staging", 4, 4, ""},
		{"rollback to 2", "production", 0, 2, ""},
		{"rollback to 1", "production", 0, 1, ""},
		{"nothing earlier", "production", 0, 1, galen.ENOTFOUND},
		{"move to 4", "production", 4, 4, ""},
		{"rollback skips rolled-back moves", "production", 0, 1, ""},
		{"still nothing earlier", "production", 0, 1, galen.ENOTFOUND},
		{"staging untouched", "staging", 0, 4, galen.ENOTFOUND},
		{"unknown alias", "canary", 0, 0, galen.ENOTFOUND},
		{"invalid alias", "1", 0, 0, galen.ENOTFOUND},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var (
				a   *galen.Alias
				err error
			)
			if st.set > 0 {
				a, err = s.SetAlias(ctx, "m", st.alias, st.set)
			} else {
				a, err = s.RollbackAlias(ctx, "m", st.alias)
			}
			wantCode(t, err, st.wantCode)
			if err == nil && (a.Version != st.want || a.Name != st.alias || a.ModelName != "m") {
				t.Errorf("alias = %+v, want %s at %d", a, st.alias, st.want)
			}
			if st.want == 0 {
				return
			}
			v, err := s.FindModelVersion(ctx, "m", st.alias)
			if err != nil || v.Version != st.want {
				t.Errorf("%s points at %v (%v), want %d", st.alias, v, err, st.want)
			}
		})
	}
	t.Run("rollback of unknown model", func(t *testing.T) {
		_, err := s.RollbackAlias(ctx, "nope", "production")
		wantCode(t, err, galen.ENOTFOUND)
	})
}

// testConcurrentAliases moves one alias from many goroutines at once, some
// to a version that does not exist; every move must be kept in the history.
func testConcurrentAliases(t *testing.T, open Open) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a deadlock fails, not hangs
	defer cancel()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	for range 3 {
		mustCreateVersion(t, s, "m", []byte("w"))
	}
	const n = 24
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		set  int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			version, want := 2+i%2, ""
			if i%3 == 0 {
				version, want = 99, galen.ENOTFOUND
			}
			_, err := s.SetAlias(ctx, "m", "production", version)
			mu.Lock()
			defer mu.Unlock()
			if galen.ErrorCode(err) != want {
				errs = append(errs, fmt.Errorf("SetAlias(%d): %v, want code %q", version, err, want))
			} else if err == nil {
				set++
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	rollbacks := 0
	for {
		a, err := s.RollbackAlias(ctx, "m", "production")
		if galen.ErrorCode(err) == galen.ENOTFOUND {
			break
		}
		if err != nil {
			t.Fatalf("RollbackAlias: %v", err)
		}
		if a.Version != 2 && a.Version != 3 {
			t.Fatalf("rolled back to version %d, which no move set", a.Version)
		}
		rollbacks++
	}
	if rollbacks != set-1 {
		t.Errorf("%d moves allowed %d rollbacks, want %d", set, rollbacks, set-1)
	}
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func keyHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func testAPIKeys(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tests := []struct {
		name     string
		key      galen.APIKey
		wantCode string
	}{
		{"admin", galen.APIKey{ID: "k1", Name: "bootstrap", Role: galen.RoleAdmin, Prefix: "gk_aaaa", Hash: keyHash("secret-1"), CreatedAt: base}, ""},
		{"clinician", galen.APIKey{ID: "k2", Role: galen.RoleClinician, Prefix: "gk_bbbb", Hash: keyHash("secret-2"), CreatedAt: base.Add(time.Second)}, ""},
		{"created now", galen.APIKey{ID: "k3", Name: "ward 3", Role: galen.RoleAuditor, Prefix: "gk_cccc", Hash: keyHash("secret-3")}, ""},
		{"unknown role", galen.APIKey{ID: "k4", Role: "janitor", Prefix: "gk_dddd", Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no role", galen.APIKey{ID: "k4", Prefix: "gk_dddd", Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no id", galen.APIKey{Role: galen.RoleAdmin, Prefix: "gk_dddd", Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no prefix", galen.APIKey{ID: "k4", Role: galen.RoleAdmin, Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no hash", galen.APIKey{ID: "k4", Role: galen.RoleAdmin, Prefix: "gk_dddd"}, galen.EINVALID},
		{"hash not hex sha-256", galen.APIKey{ID: "k4", Role: galen.RoleAdmin, Prefix: "gk_dddd", Hash: "secret-4"}, galen.EINVALID},
		{"duplicate id", galen.APIKey{ID: "k1", Role: galen.RoleAdmin, Prefix: "gk_eeee", Hash: keyHash("secret-5")}, galen.ECONFLICT},
		{"duplicate hash", galen.APIKey{ID: "k5", Role: galen.RoleAdmin, Prefix: "gk_eeee", Hash: keyHash("secret-2")}, galen.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			k := tt.key
			err := s.CreateAPIKey(ctx, &k)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			if tt.key.CreatedAt.IsZero() {
				near(t, "CreatedAt", k.CreatedAt, before)
			} else if !k.CreatedAt.Equal(tt.key.CreatedAt) {
				t.Errorf("CreatedAt = %v, want %v as given", k.CreatedAt, tt.key.CreatedAt)
			}
			got, err := s.FindAPIKeyByHash(ctx, k.Hash)
			if err != nil {
				t.Fatalf("FindAPIKeyByHash: %v", err)
			}
			if !reflect.DeepEqual(got, &k) {
				t.Errorf("FindAPIKeyByHash = %+v, want %+v", got, &k)
			}
		})
	}
	t.Run("unknown hash", func(t *testing.T) {
		_, err := s.FindAPIKeyByHash(ctx, keyHash("nobody"))
		wantCode(t, err, galen.ENOTFOUND)
	})
	t.Run("list oldest first", func(t *testing.T) {
		keys, err := s.FindAPIKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range keys {
			ids = append(ids, k.ID)
			if !hexSHA256.MatchString(k.Hash) || k.Prefix == "" || !k.Role.Valid() {
				t.Errorf("listed key %s incomplete: %+v", k.ID, k)
			}
		}
		if !slices.Equal(ids, []string{"k1", "k2", "k3"}) {
			t.Errorf("FindAPIKeys = %v, want [k1 k2 k3]", ids)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		before := time.Now()
		if err := s.RevokeAPIKey(ctx, "k2"); err != nil {
			t.Fatalf("RevokeAPIKey: %v", err)
		}
		k, err := s.FindAPIKeyByHash(ctx, keyHash("secret-2"))
		if err != nil {
			t.Fatalf("revoked key must still be found: %v", err)
		}
		if k.RevokedAt == nil {
			t.Fatal("RevokedAt not set")
		}
		near(t, "RevokedAt", *k.RevokedAt, before)
		first := *k.RevokedAt

		// Revoking again succeeds and keeps the first time.
		if err := s.RevokeAPIKey(ctx, "k2"); err != nil {
			t.Fatalf("second RevokeAPIKey: %v", err)
		}
		k, err = s.FindAPIKeyByHash(ctx, keyHash("secret-2"))
		if err != nil || k.RevokedAt == nil || !k.RevokedAt.Equal(first) {
			t.Errorf("after second revoke: %+v, %v; want RevokedAt %v", k, err, first)
		}
		keys, err := s.FindAPIKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if (k.RevokedAt != nil) != (k.ID == "k2") {
				t.Errorf("key %s: RevokedAt = %v", k.ID, k.RevokedAt)
			}
		}
	})
	t.Run("revoke unknown", func(t *testing.T) {
		wantCode(t, s.RevokeAPIKey(ctx, "no-such-key"), galen.ENOTFOUND)
	})
}

func testAudit(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// Ten events a minute apart: keys alternate k1, k2; models m1, m2, none.
	var events []*galen.AuditEvent
	for i := range 10 {
		e := &galen.AuditEvent{
			Time:        t0.Add(time.Duration(i) * time.Minute),
			KeyID:       []string{"k1", "k2"}[i%2],
			Role:        galen.RoleClinician,
			Method:      "POST",
			Route:       "POST /v2/models/{name}/infer",
			Model:       []string{"m1", "m2", ""}[i%3],
			InputSHA256: keyHash(strconv.Itoa(i)),
			Status:      200,
			LatencyMS:   1.25 * float64(i),
			Client:      []string{"10.0.0.7", "2001:db8::1", ""}[i%3],
		}
		if e.Model != "" {
			e.ModelVersion = i
		}
		if err := s.CreateAuditEvent(ctx, e); err != nil {
			t.Fatalf("CreateAuditEvent: %v", err)
		}
		if e.ID <= 0 || (i > 0 && e.ID <= events[i-1].ID) {
			t.Fatalf("event %d got ID %d; IDs must be positive and increase", i, e.ID)
		}
		events = append(events, e)
	}
	at := func(min int) *time.Time { x := t0.Add(time.Duration(min) * time.Minute); return &x }
	str := func(s string) *string { return &s }
	tests := []struct {
		name      string
		filter    galen.AuditFilter
		want      []int // indexes into events, in the expected order
		wantTotal int
		wantCode  string
	}{
		{"all newest first", galen.AuditFilter{}, []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 10, ""},
		{"since is inclusive", galen.AuditFilter{Since: at(7)}, []int{9, 8, 7}, 3, ""},
		{"until is exclusive", galen.AuditFilter{Until: at(2)}, []int{1, 0}, 2, ""},
		{"time range", galen.AuditFilter{Since: at(3), Until: at(6)}, []int{5, 4, 3}, 3, ""},
		{"empty range", galen.AuditFilter{Since: at(6), Until: at(6)}, nil, 0, ""},
		{"range in another zone", galen.AuditFilter{Since: ptr(at(3).In(time.FixedZone("X", 5*3600))), Until: at(5)}, []int{4, 3}, 2, ""},
		{"key", galen.AuditFilter{KeyID: str("k1")}, []int{8, 6, 4, 2, 0}, 5, ""},
		{"model", galen.AuditFilter{Model: str("m2")}, []int{7, 4, 1}, 3, ""},
		{"key and model", galen.AuditFilter{KeyID: str("k2"), Model: str("m1")}, []int{9, 3}, 2, ""},
		{"key, model and range", galen.AuditFilter{KeyID: str("k2"), Model: str("m1"), Until: at(9)}, []int{3}, 1, ""},
		{"unknown key", galen.AuditFilter{KeyID: str("k9")}, nil, 0, ""},
		{"limit", galen.AuditFilter{Limit: 3}, []int{9, 8, 7}, 10, ""},
		{"offset", galen.AuditFilter{Offset: 8}, []int{1, 0}, 10, ""},
		{"offset and limit", galen.AuditFilter{Offset: 2, Limit: 3}, []int{7, 6, 5}, 10, ""},
		{"filtered page", galen.AuditFilter{KeyID: str("k1"), Offset: 1, Limit: 2}, []int{6, 4}, 5, ""},
		{"offset past end", galen.AuditFilter{Offset: 50}, nil, 10, ""},
		{"negative limit", galen.AuditFilter{Limit: -1}, nil, 0, galen.EINVALID},
		{"negative offset", galen.AuditFilter{Offset: -5}, nil, 0, galen.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.FindAuditEvents(ctx, tt.filter)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			var gotIdx []int
			for _, e := range got {
				i := slices.IndexFunc(events, func(x *galen.AuditEvent) bool { return x.ID == e.ID })
				gotIdx = append(gotIdx, i)
				if i >= 0 && !reflect.DeepEqual(e, events[i]) {
					t.Errorf("event %d = %+v, want %+v", i, e, events[i])
				}
			}
			if !slices.Equal(gotIdx, tt.want) || total != tt.wantTotal {
				t.Errorf("FindAuditEvents = %v, total %d; want %v, total %d", gotIdx, total, tt.want, tt.wantTotal)
			}
		})
	}
	t.Run("time set when zero", func(t *testing.T) {
		before := time.Now()
		e := &galen.AuditEvent{KeyID: "k3", Role: galen.RoleAuditor, Method: "GET", Route: "GET /v1/audit", Status: 200}
		if err := s.CreateAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		near(t, "Time", e.Time, before)
		got, total, err := s.FindAuditEvents(ctx, galen.AuditFilter{KeyID: str("k3")})
		if err != nil || total != 1 || len(got) != 1 || !reflect.DeepEqual(got[0], e) {
			t.Errorf("FindAuditEvents = %v, %d, %v; want [%+v]", got, total, err, e)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// testAuditAppendOnly checks that no method of the store can change or remove
// audit events: the log is append-only by construction.
func testAuditAppendOnly(t *testing.T, open Open) {
	s := open(t).Store
	typ := reflect.TypeOf(s)
	mutating := regexp.MustCompile(`^(Update|Delete|Remove|Purge|Clear|Truncate|Set|Edit|Replace)`)
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if strings.Contains(name, "Audit") && mutating.MatchString(name) {
			t.Errorf("%v has method %s; the audit log must be append-only", typ, name)
		}
	}
}

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
