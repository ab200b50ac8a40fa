package main

import (
	"encoding/json"
	"testing"
)

func TestNormalise(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"numbers and quotes", `12 problems in the request: Bundle.entry[3].resource.status: status "cancelled": observation ignored`,
			`N problems in the request: Bundle.entry[N].resource.status: status "…": observation ignored`},
		{"empty", "", "(no error message)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalise(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPrefetchOfATransaction checks what the CDS sweep sends for a Synthea
// style transaction: the Observations the template asks for, with urn:uuid
// references rewritten to Type/id, and the Patient.
func TestPrefetchOfATransaction(t *testing.T) {
	raw := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1"}},
	 {"fullUrl":"urn:uuid:o1","resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"urn:uuid:p1"},"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}}},
	 {"fullUrl":"urn:uuid:o2","resource":{"resourceType":"Observation","id":"o2","subject":{"reference":"urn:uuid:p1"},"code":{"coding":[{"system":"http://loinc.org","code":"72514-3"}]}}}]}`
	d := doc{rel: "x.json", body: []byte(raw)}
	if err := json.Unmarshal(d.body, &d.res); err != nil {
		t.Fatal(err)
	}
	s := &sweeper{codes: map[string]bool{"http://loinc.org|8867-4": true}}
	rs, fus := resources(d)
	if len(rs) != 3 || fus[1] != "urn:uuid:o1" {
		t.Fatalf("resources %v %v", rs, fus)
	}
	if !s.matches(rs[1]) || s.matches(rs[2]) {
		t.Error("matches: want 8867-4 asked for and 72514-3 not")
	}
	rewriteRefs(rs[1], map[string]string{"urn:uuid:p1": "Patient/p1"})
	if ref := rs[1]["subject"].(map[string]any)["reference"]; ref != "Patient/p1" {
		t.Errorf("subject %v, want Patient/p1", ref)
	}
}
