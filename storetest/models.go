package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

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
