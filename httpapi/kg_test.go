package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/kg"
)

// kgEnv is a test server whose store holds the fixture sources of
// kg/testdata.
func kgEnv(t *testing.T) *testEnv {
	t.Helper()
	env := newEnv(t, Config{}, inference.Config{}, nil)
	if _, err := kg.ImportDir(context.Background(), env.store, filepath.Join("..", "kg", "testdata", "data"), kg.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return env
}

func TestKGRoutes(t *testing.T) {
	empty := newEnv(t, Config{}, inference.Config{}, nil)
	if resp, body := empty.do(t, "clinician", "GET", "/v1/kg/search?q=aspirin", "", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("search on an empty graph: %d %s, want 503", resp.StatusCode, body)
	}
	// An empty graph is the deployment's state, not a server fault: WARN, not ERROR.
	if logs := empty.logs.String(); !strings.Contains(logs, "level=WARN msg=\"request failed\"") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("log of a 503 on an empty graph, want one WARN line and no ERROR:\n%s", logs)
	}
	env := kgEnv(t)
	tests := []struct {
		name       string
		who        string
		method     string
		path       string
		body       string
		wantStatus int
		want       string // a fragment of the body
	}{
		{"search", "clinician", "GET", "/v1/kg/search?q=aspirin", "", 200, `"id":"DrugBank:DB00945"`},
		{"search auditor", "auditor", "GET", "/v1/kg/search?q=aspirin", "", 403, "may not"},
		{"search typo", "clinician", "GET", "/v1/kg/search?q=warfrin&type=Drug", "", 200, `"match":"typo"`},
		{"search without q", "clinician", "GET", "/v1/kg/search", "", 400, "q is required"},
		{"search bad limit", "clinician", "GET", "/v1/kg/search?q=a&limit=0", "", 400, "limit"},
		{"entity", "clinician", "GET", "/v1/kg/entities/" + url.PathEscape("DOID:10763"), "", 200, `"name":"hypertension"`},
		{"unknown entity", "clinician", "GET", "/v1/kg/entities/DOID:1", "", 404, "no entity"},
		{"neighbours", "clinician", "GET", "/v1/kg/entities/DOID:10763/neighbours?edge_type=xref&limit=1", "", 200, `"total":2`},
		{"neighbours bad direction", "clinician", "GET", "/v1/kg/entities/DOID:10763/neighbours?direction=up", "", 400, "direction"},
		{"paths", "scientist", "GET", "/v1/kg/paths?from=DrugBank:DB00682&to=DrugBank:DB01050&k=2", "", 200, "Warfarin —interacts with: major→ Ibuprofen"},
		{"metapath", "scientist", "GET", "/v1/kg/paths?from=DrugBank:DB00682&metapath=" + url.QueryEscape("Drug -interacts_with-> Drug"), "", 200, `"hops":1`},
		{"paths hop limit", "scientist", "GET", "/v1/kg/paths?from=DrugBank:DB00682&to=DOID:10763&max_hops=9", "", 400, "max_hops"},
		{"subgraph", "scientist", "POST", "/v1/kg/subgraph", `{"ids":["DOID:10763"],"hops":1}`, 200, `"ICD10CM:I10"`},
		{"interactions", "clinician", "POST", "/v1/kg/interactions", `{"drugs":["warfarin","aspirin","zzz"]}`, 200, `"unresolved":["zzz"]`},
		{"interactions by code", "clinician", "POST", "/v1/kg/interactions", `{"drugs":["DB00682","DB01050"]}`, 200, `"severity":"major"`},
		{"interactions empty list", "clinician", "POST", "/v1/kg/interactions", `{"drugs":[]}`, 400, `"path":"drugs"`},
		{"interactions blank entries", "clinician", "POST", "/v1/kg/interactions", `{"drugs":["a"," ",""]}`, 400, `"drugs[2]"`},
		{"interactions malformed", "clinician", "POST", "/v1/kg/interactions", `{"drugs":`, 400, "malformed JSON"},
		{"interactions unknown field", "clinician", "POST", "/v1/kg/interactions", `{"drug":["a"]}`, 400, "unknown field"},
		{"interactions auditor", "auditor", "POST", "/v1/kg/interactions", `{"drugs":["a"]}`, 403, "may not"},
		{"interactions no key", "", "POST", "/v1/kg/interactions", `{"drugs":["a"]}`, 401, "missing API key"},
		{"suggest", "clinician", "POST", "/v1/kg/suggest-diseases", `{"symptoms":["fever"]}`, 200, `"unresolved":["fever"]`},
		{"suggest bad limit", "clinician", "POST", "/v1/kg/suggest-diseases", `{"symptoms":["fever"],"limit":500}`, 400, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := ""
			var body []byte
			if tt.body != "" {
				ct, body = "application/json", []byte(tt.body)
			}
			resp, got := env.do(t, tt.who, tt.method, tt.path, ct, body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(got), tt.want) {
				t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.path, resp.StatusCode, got, tt.wantStatus, tt.want)
			}
		})
	}
	// The interaction answer in full.
	resp, got := env.do(t, "clinician", "POST", "/v1/kg/interactions", "application/json", []byte(`{"drugs":["Coumadin","aspirin"]}`))
	var rep kg.InteractionReport
	if err := json.Unmarshal(got, &rep); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s: %v", resp.StatusCode, got, err)
	}
	if len(rep.Interactions) != 1 || rep.Interactions[0].Severity != kg.SeverityMajor || len(rep.Resolved) != 2 ||
		rep.Resolved[0].Name != "Warfarin" || rep.Resolved[1].Name != "Acetylsalicylic acid" {
		t.Errorf("report = %+v", rep)
	}
}

// A second server on the same database (a replica) answers from an import
// the first made after it had loaded the graph.
func TestKGReplicaSeesImport(t *testing.T) {
	env := kgEnv(t)
	resp, body := env.do(t, "clinician", "GET", "/v1/kg/search?q=ibuprofen", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "DB01050") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// Another process replaces the vocabulary with one that names a new drug.
	nodes := []kg.Node{{ID: "DrugBank:DB99999", Type: kg.TypeDrug, Name: "Newdrugamab", Source: "drugbank-vocabulary"}}
	if err := env.store.ReplaceKGSource(context.Background(), &galen.KGSource{Name: "drugbank-vocabulary", License: "CC0 1.0"}, nodes, nil); err != nil {
		t.Fatal(err)
	}
	g, err := env.srv.kg.svc.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Entity("DrugBank:DB99999"); err != nil {
		t.Errorf("after refresh: %v", err)
	}
	resp, body = env.do(t, "clinician", "GET", "/v1/kg/search?q=newdrugamab", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "DB99999") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}
