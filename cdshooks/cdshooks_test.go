package cdshooks_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/galenhealth/galen/cdshooks"
)

// problemPaths returns the paths of the problems in err, which must be a
// *cdshooks.Error whose problems all have messages.
func problemPaths(tb testing.TB, err error) []string {
	tb.Helper()
	var e *cdshooks.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err = %v, want *cdshooks.Error", err)
	}
	var paths []string
	for _, p := range e.Problems {
		paths = append(paths, p.Path)
		if p.Message == "" {
			tb.Errorf("problem without a message at %q", p.Path)
		}
	}
	return paths
}

func TestDecodeRequest(t *testing.T) {
	b, err := os.ReadFile("testdata/patient-view.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := cdshooks.DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Hook != cdshooks.HookPatientView || r.ContextString("patientId") != "1288992" || r.FHIRAuthorization.ExpiresIn != 300 {
		t.Errorf("request = %+v", r)
	}
	if r.PrefetchData("patient") == nil || r.PrefetchData("nothing") != nil {
		t.Error("PrefetchData")
	}
}

func TestDecodeRequestProblems(t *testing.T) {
	const ctx = `"context":{"userId":"Practitioner/1","patientId":"p1"}`
	tests := []struct {
		name  string
		in    string
		paths []string
	}{
		{"malformed", `{"hook":`, []string{""}},
		{"empty", ``, []string{""}},
		{"array", `[]`, []string{""}},
		{"null", `null`, []string{""}},
		{"trailing", `{"hook":"patient-view","hookInstance":"x",` + ctx + `} x`, []string{""}},
		{"nothing", `{}`, []string{"hook", "hookInstance", "context"}},
		{"missing patient", `{"hook":"patient-view","hookInstance":"x","context":{"userId":"u"}}`, []string{"context.patientId"}},
		{"patient id not a string", `{"hook":"patient-view","hookInstance":"x","context":{"userId":"u","patientId":7}}`, []string{"context.patientId"}},
		{"context not an object", `{"hook":"patient-view","hookInstance":"x","context":[]}`, []string{"context"}},
		{"unknown field", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"prefech":{}}`, []string{"prefech"}},
		{"bad server", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"fhirServer":"ftp://x"}`, []string{"fhirServer"}},
		{"authorization without server", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"fhirAuthorization":{"access_token":"a","token_type":"Bearer","expires_in":1,"scope":"s","subject":"c"}}`, []string{"fhirAuthorization"}},
		{"incomplete authorization", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"fhirServer":"https://f","fhirAuthorization":{"token_type":"MAC"}}`,
			[]string{"fhirAuthorization.access_token", "fhirAuthorization.scope", "fhirAuthorization.subject", "fhirAuthorization.token_type", "fhirAuthorization.expires_in"}},
		{"prefetch not an object", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"prefetch":"all"}`, []string{"prefetch"}},
		{"order-sign needs draft orders", `{"hook":"order-sign","hookInstance":"x",` + ctx + `}`, []string{"context.draftOrders"}},
		{"wrong types", `{"hook":1,"hookInstance":true,"context":{}}`, []string{"hook", "hookInstance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cdshooks.DecodeRequest([]byte(tt.in))
			if paths := problemPaths(t, err); !reflect.DeepEqual(paths, tt.paths) {
				t.Errorf("paths %q, want %q (%v)", paths, tt.paths, err)
			}
		})
	}
}

func TestDecodeFeedback(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		paths []string // nil: valid
	}{
		{"accepted", `{"feedback":[{"card":"c1","outcome":"accepted","acceptedSuggestions":[{"id":"s1"}],"outcomeTimestamp":"2026-11-28T10:00:00Z"}]}`, nil},
		{"overridden", `{"feedback":[{"card":"c1","outcome":"overridden","overrideReason":{"reason":{"code":"x","system":"y"},"userComment":"known"},"outcomeTimestamp":"2026-11-28T10:00:00+01:00"}]}`, nil},
		{"empty", `{"feedback":[]}`, []string{"feedback"}},
		{"missing", `{}`, []string{"feedback"}},
		{"bad item", `{"feedback":[{"outcome":"ignored","outcomeTimestamp":"yesterday","x":1}]}`,
			[]string{"feedback[0].x", "feedback[0].card", "feedback[0].outcome", "feedback[0].outcomeTimestamp"}},
		{"override reason on accepted", `{"feedback":[{"card":"c","outcome":"accepted","overrideReason":{},"outcomeTimestamp":"2026-11-28T10:00:00Z"}]}`, []string{"feedback[0].overrideReason"}},
		{"not an array", `{"feedback":{}}`, []string{"feedback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cdshooks.DecodeFeedback([]byte(tt.in))
			if tt.paths == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if paths := problemPaths(t, err); !reflect.DeepEqual(paths, tt.paths) {
				t.Errorf("paths %q, want %q", paths, tt.paths)
			}
		})
	}
}

func TestResponseValidate(t *testing.T) {
	good := cdshooks.Card{Summary: "ICU mortality risk 23% (moderate)", Indicator: cdshooks.IndicatorWarning, Source: cdshooks.Source{Label: "Galen"}}
	long := good
	long.Summary = strings.Repeat("é", cdshooks.MaxSummary)
	bad := cdshooks.Card{Indicator: "urgent", Suggestions: []cdshooks.Suggestion{{Actions: []cdshooks.Action{{Type: "patch"}}}}}
	tests := []struct {
		name  string
		cards []cdshooks.Card
		paths []string
	}{
		{"good", []cdshooks.Card{good}, nil},
		{"no cards", nil, nil},
		{"long summary", []cdshooks.Card{good, long}, []string{"cards[1].summary"}},
		{"everything wrong", []cdshooks.Card{bad}, []string{"cards[0].summary", "cards[0].indicator", "cards[0].source.label", "cards[0].selectionBehavior",
			"cards[0].suggestions[0].label", "cards[0].suggestions[0].actions[0].type", "cards[0].suggestions[0].actions[0].description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&cdshooks.Response{Cards: tt.cards}).Validate()
			var paths []string
			if err != nil {
				paths = problemPaths(t, err)
			}
			if !reflect.DeepEqual(paths, tt.paths) {
				t.Errorf("paths %q, want %q", paths, tt.paths)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int // runes
	}{
		{"short", "ICU mortality risk 12%", 22},
		{"exactly at the limit", strings.Repeat("a", 140), 139},
		{"long unicode", strings.Repeat("ü", 300), 139},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cdshooks.Summary(tt.in)
			if n := len([]rune(got)); n != tt.want || n >= cdshooks.MaxSummary {
				t.Errorf("%d runes, want %d", n, tt.want)
			}
		})
	}
}

func TestExpandPrefetch(t *testing.T) {
	r := &cdshooks.Request{Context: map[string]json.RawMessage{"patientId": json.RawMessage(`"12 3"`), "userId": json.RawMessage(`"Practitioner/77"`)}}
	tests := []struct {
		name, tmpl, want string
		wantErr          bool
	}{
		{"patient", "Patient/{{context.patientId}}", "Patient/12+3", false},
		{"search", "Observation?patient={{ context.patientId }}&code=http://loinc.org|8867-4", "Observation?patient=12+3&code=http://loinc.org|8867-4", false},
		{"practitioner", "Practitioner/{{userPractitionerId}}", "Practitioner/77", false},
		{"wrong user kind", "Patient/{{userPatientId}}", "", true},
		{"missing", "Encounter/{{context.encounterId}}", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cdshooks.ExpandPrefetch(tt.tmpl, r)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
