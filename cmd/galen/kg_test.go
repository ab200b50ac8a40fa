package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The CLI imports the hand-written fixture sources of kg/testdata and
// answers the interaction check the issue names.
func TestKGCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join("..", "..", "kg", "testdata", "data")
	code, out, stderr := galenCmd(t, nil, "kg", "import", "--data", data, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("kg import: exit %d: %s", code, stderr)
	}
	// Not a terminal: plain progress lines, one per source.
	if !strings.Contains(stderr, "[1/5] disease-ontology: 7 rows read, 5 nodes, 3 edges, 4 dropped") || strings.Contains(stderr, "\r") {
		t.Errorf("progress:\n%s", stderr)
	}
	if !strings.Contains(out, "dropped merged-pddi: 1 x shifted KEGG continuation row") || !strings.Contains(out, "imported 5 sources") {
		t.Errorf("import report:\n%s", out)
	}

	code, out, stderr = galenCmd(t, nil, "kg", "interactions", "warfarin", "aspirin", "nosuchdrug", "--json", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("kg interactions: exit %d: %s", code, stderr)
	}
	var rep struct {
		Interactions []struct {
			Drugs    []struct{ ID, Name string }
			Severity string
			Findings []struct{ Description, Severity, Dataset string }
		}
		Resolved   []struct{ Input, ID, Name string }
		Unresolved []string
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("kg interactions --json: %v\n%s", err, out)
	}
	if len(rep.Interactions) != 1 || rep.Interactions[0].Severity != "major" || len(rep.Interactions[0].Findings) != 2 {
		t.Errorf("interactions = %+v", rep.Interactions)
	}
	if len(rep.Resolved) != 2 || rep.Resolved[1].Input != "aspirin" || rep.Resolved[1].Name != "Acetylsalicylic acid" {
		t.Errorf("resolved = %+v", rep.Resolved)
	}
	if len(rep.Unresolved) != 1 || rep.Unresolved[0] != "nosuchdrug" {
		t.Errorf("unresolved = %v", rep.Unresolved)
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"search", []string{"kg", "search", "aspirn"}, 0, "DrugBank:DB00945"},
		{"paths", []string{"kg", "paths", "DrugBank:DB00682", "DrugBank:DB01050"}, 0, "Warfarin —interacts with: major→ Ibuprofen"},
		{"neighbours", []string{"kg", "neighbours", "--edge-type", "xref", "DOID:10763"}, 0, "hypertension —cross-references→ ICD10CM:I10"},
		{"entity", []string{"kg", "entity", "DOID:10763"}, 0, `"name": "hypertension"`},
		{"unknown entity", []string{"kg", "entity", "DOID:1"}, 1, "no entity"},
		{"import without data", []string{"kg", "import"}, 2, "--data is required"},
		{"bad metapath", []string{"kg", "paths", "--metapath", "Drug treats", "DrugBank:DB00682"}, 1, "metapath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := galenCmd(t, nil, append(tt.args, "--data-dir", dir)...)
			if code != tt.wantCode || !strings.Contains(out+stderr, tt.want) {
				t.Errorf("exit %d, out %q, stderr %q; want %d with %q", code, out, stderr, tt.wantCode, tt.want)
			}
		})
	}
}
