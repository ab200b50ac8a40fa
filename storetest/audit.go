package storetest

import (
	"context"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

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
