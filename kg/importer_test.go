package kg

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readFixture reads one source from testdata/data.
func readFixture(t *testing.T, name string) (*Report, []Node, []Edge) {
	t.Helper()
	for _, s := range Sources() {
		if s.Name == name {
			rep, nodes, edges, err := ReadSource(context.Background(), s, filepath.Join("testdata", "data", name))
			if err != nil {
				t.Fatalf("ReadSource(%s): %v", name, err)
			}
			return rep, nodes, edges
		}
	}
	t.Fatalf("no source %s", name)
	return nil, nil, nil
}

func edgeTexts(edges []Edge) []string {
	var out []string
	for _, e := range edges {
		out = append(out, e.From+" "+e.Type+" "+e.To)
	}
	slices.Sort(out)
	return out
}

func nodeIDs(nodes []Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.ID)
	}
	slices.Sort(out)
	return out
}

// The expectations below are counted by hand from the files in
// testdata/data.
func TestImportFixtures(t *testing.T) {
	tests := []struct {
		name      string
		source    string
		rowsRead  int
		nodes     []string
		edges     []string
		droppedBy map[string]int
		repaired  map[string]int
	}{
		{
			name: "disease ontology", source: "disease-ontology", rowsRead: 7,
			nodes: []string{"DOID:10763", "DOID:4", "DOID:5", "ICD10CM:I10", "ICD9CM:4019"},
			edges: []string{"DOID:10763 is_a DOID:4", "DOID:10763 xref ICD10CM:I10", "DOID:10763 xref ICD9CM:4019"},
			droppedBy: map[string]int{"obsolete term": 1, `want tag: value, got "this line is broken"`: 1,
				"is_a names an obsolete or unknown term": 1, "DOID not in HumanDO.obo": 1},
		},
		{
			name: "drugbank ddi", source: "drugbank-ddi-86", rowsRead: 9,
			nodes: []string{"DrugBank:DB00682", "DrugBank:DB00945", "DrugBank:DB01050"},
			edges: []string{"DrugBank:DB00682 interacts_with DrugBank:DB00945", "DrugBank:DB00945 interacts_with DrugBank:DB01050"},
			droppedBy: map[string]int{"drug paired with itself": 1, "unknown interaction type": 1, "bad DrugBank id": 1,
				"2 fields, want 3": 1},
		},
		{
			name: "merged pddi", source: "merged-pddi", rowsRead: 6,
			nodes: []string{"DrugBank:DB00682", "DrugBank:DB00945", "DrugBank:DB01050"},
			edges: []string{"DrugBank:DB00682 interacts_with DrugBank:DB00945", "DrugBank:DB00682 interacts_with DrugBank:DB01050",
				"DrugBank:DB00945 interacts_with DrugBank:DB01050"},
			droppedBy: map[string]int{"shifted KEGG continuation row (drug2 = Kegg, no DrugBank ids)": 1, "no DrugBank id for one of the drugs": 1},
			repaired: map[string]int{"KEGG row with empty source column: source set to KEGG, drugs taken from their DrugBank ids": 1,
				"row repeats a pair, source and severity already read: merged": 1},
		},
		{
			name: "drugbank vocabulary", source: "drugbank-vocabulary", rowsRead: 4,
			nodes:     []string{"DrugBank:DB00682", "DrugBank:DB00945", "DrugBank:DB01050"},
			droppedBy: map[string]int{"bad DrugBank id": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, nodes, edges := readFixture(t, tt.source)
			if rep.RowsRead != tt.rowsRead {
				t.Errorf("rows read = %d, want %d", rep.RowsRead, tt.rowsRead)
			}
			if got := nodeIDs(nodes); !slices.Equal(got, tt.nodes) {
				t.Errorf("nodes = %v, want %v", got, tt.nodes)
			}
			if got := edgeTexts(edges); !slices.Equal(got, tt.edges) {
				t.Errorf("edges = %v, want %v", got, tt.edges)
			}
			if !maps.Equal(rep.DroppedBy, tt.droppedBy) && (len(rep.DroppedBy) > 0 || len(tt.droppedBy) > 0) {
				t.Errorf("dropped = %v, want %v", rep.DroppedBy, tt.droppedBy)
			}
			if !maps.Equal(rep.Repaired, tt.repaired) && (len(rep.Repaired) > 0 || len(tt.repaired) > 0) {
				t.Errorf("repaired = %v, want %v", rep.Repaired, tt.repaired)
			}
			for _, ex := range rep.Examples {
				if ex.File == "" || ex.Line <= 0 {
					t.Errorf("drop example without its place: %+v", ex)
				}
			}
			if rep.Nodes != len(nodes) || rep.Edges != len(edges) {
				t.Errorf("report counts %d nodes %d edges, source has %d and %d", rep.Nodes, rep.Edges, len(nodes), len(edges))
			}
		})
	}
}

func TestImportFixtureAttributes(t *testing.T) {
	_, nodes, _ := readFixture(t, "disease-ontology")
	var htn *Node
	for i := range nodes {
		if nodes[i].ID == "DOID:10763" {
			htn = &nodes[i]
		}
	}
	if htn == nil {
		t.Fatal("no DOID:10763")
	}
	if !slices.Equal(htn.Synonyms, []string{"high blood pressure"}) {
		t.Errorf("synonyms = %v, want only the EXACT one", htn.Synonyms)
	}
	if got := AttrText(htn.Attrs, "definition"); got != `A "vascular" disease.` {
		t.Errorf("definition = %q", got)
	}
	if got := AttrText(htn.Attrs, "pathophysiology"); got != "cardiovascular" {
		t.Errorf("pathophysiology = %q (from slim-terms.tsv)", got)
	}
	_, _, edges := readFixture(t, "merged-pddi")
	for _, e := range edges {
		if e.From == "DrugBank:DB00682" && e.To == "DrugBank:DB00945" {
			if AttrText(e.Attrs, "severity") != SeverityMajor || AttrText(e.Attrs, "source_severity") != "Critical" ||
				AttrText(e.Attrs, "description") != "Increased risk of bleeding" {
				t.Errorf("NDF-RT edge attrs = %+v", e.Attrs)
			}
		}
	}
}

func TestNormSeverity(t *testing.T) {
	tests := []struct {
		name, source, raw, want string
	}{
		{"french CI", "French National Formulary (Fr.)", "CI", SeverityContraindicated},
		{"french AD", "French National Formulary (Fr.)", "AD", SeverityMajor},
		{"french PE", "French National Formulary (Fr.)", "PE", SeverityModerate},
		{"french PC", "French National Formulary (Fr.)", "PC", SeverityMinor},
		{"english variant", "French National Formulary (Eng. - TESTING)", "Not recommeded:", SeverityMajor},
		{"english upper", "French National Formulary (Eng. - TESTING)", "CONTRAINDICATION ", SeverityContraindicated},
		{"ndf-rt critical", "NDF-RT", "Critical", SeverityMajor},
		{"ndf-rt significant", "NDF-RT", "Significant", SeverityModerate},
		{"oscar 3", "OSCAR", "3", SeverityMajor},
		{"oscar 1", "OSCAR", "1", SeverityMinor},
		{"onc high priority", "ONC-HighPriority", "None", SeverityMajor},
		{"none", "Drugbank", "None", ""},
		{"free text", "French National Formulary (Eng. - TESTING)", "To know the risks...", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normSeverity(tt.source, tt.raw); got != tt.want {
				t.Errorf("normSeverity(%q, %q) = %q, want %q", tt.source, tt.raw, got, tt.want)
			}
		})
	}
}

func TestIngredients(t *testing.T) {
	tests := []struct {
		name, desc string
		want       []string
	}{
		{"single", "Ibuprofen 100 MG Oral Tablet", []string{"Ibuprofen"}},
		{"combination", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet", []string{"Amoxicillin", "Clavulanate"}},
		{"leading quantity", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", []string{"Metformin hydrochloride"}},
		{"volume first", "1 ML Epinephrine 1 MG/ML Auto-Injector", []string{"Epinephrine"}},
		{"brand", "insulin isophane 70 UNT/ML / Regular Insulin 30 UNT/ML Injectable Suspension [Humulin]", []string{"insulin isophane", "Regular Insulin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ingredients(tt.desc); !slices.Equal(got, tt.want) {
				t.Errorf("Ingredients(%q) = %q, want %q", tt.desc, got, tt.want)
			}
		})
	}
}

func TestFixtureInteractions(t *testing.T) {
	g, reps, err := ReadDir(context.Background(), filepath.Join("testdata", "data"))
	if err != nil {
		t.Fatal(err)
	}
	cw := reportOf(t, reps, CrosswalkSource)
	for _, m := range cw.Matches {
		if strings.HasPrefix(m.From, "DrugBank DDI-86") && (m.Matched != 3 || m.Total != 3) {
			t.Errorf("DDI drugs matched %d of %d, want 3 of 3", m.Matched, m.Total)
		}
	}
	rep := g.Interactions([]string{"aspirin", "Coumadin", "IBUPROFEN", "unknownium"})
	type pair struct{ a, b, severity string }
	var got []pair
	for _, it := range rep.Interactions {
		got = append(got, pair{it.Drugs[0].Name, it.Drugs[1].Name, it.Severity})
	}
	want := []pair{
		{"Acetylsalicylic acid", "Warfarin", SeverityMajor},
		{"Warfarin", "Ibuprofen", SeverityMajor},
		{"Acetylsalicylic acid", "Ibuprofen", NotGraded},
	}
	if !slices.Equal(got, want) {
		t.Errorf("interactions = %v, want %v", got, want)
	}
	if !slices.Equal(rep.Unresolved, []string{"unknownium"}) {
		t.Errorf("unresolved = %v", rep.Unresolved)
	}
	wantResolved := []Resolved{
		{"aspirin", "DrugBank:DB00945", "Acetylsalicylic acid", MatchExactSynonym},
		{"Coumadin", "DrugBank:DB00682", "Warfarin", MatchExactSynonym},
		{"IBUPROFEN", "DrugBank:DB01050", "Ibuprofen", MatchExactName},
	}
	if !slices.Equal(rep.Resolved, wantResolved) {
		t.Errorf("resolved = %+v, want %+v", rep.Resolved, wantResolved)
	}
	var descs []string
	for _, f := range rep.Interactions[0].Findings {
		descs = append(descs, f.Severity+": "+f.Description+" ("+f.Dataset+")")
	}
	wantDescs := []string{
		"major: Increased risk of bleeding (merged-PDDI: NDF-RT)",
		": Warfarin may increase the anticoagulant activities of Acetylsalicylic acid. (DrugBank DDI (86 types))",
	}
	if !slices.Equal(descs, wantDescs) {
		t.Errorf("findings = %q, want %q", descs, wantDescs)
	}
	if got, want := rep.Interactions[0].Path, "Warfarin —interacts with: major→ Acetylsalicylic acid"; got != want {
		t.Errorf("path = %q, want %q", got, want)
	}
}
