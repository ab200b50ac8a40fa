package kg

import (
	"slices"
	"testing"
)

// The expected counts come from the data sets' SOURCE.md files and from
// counting the files with awk, not from this package.
func TestRealDataReports(t *testing.T) {
	_, reps := realData(t)
	tests := []struct {
		name     string
		source   string
		rowsRead int
		edges    int // -1: not checked
		dropped  map[string]int
	}{
		// 8,948 [Term] stanzas of which 2,374 obsolete, plus 137 slim rows.
		{"disease ontology", "disease-ontology", 8948 + 137, -1, map[string]int{"obsolete term": 2374}},
		// 755 DM + 390 SYM + 243 NOT rows, one edge each.
		{"pharmacotherapydb", "pharmacotherapydb", 1388, 1388, nil},
		// 191,808 DDI triples, 86 types, 1,706 SMILES rows.
		{"drugbank ddi", "drugbank-ddi-86", 191808 + 86 + 1706, 191808, nil},
		// 271,723 rows; 52,104 KEGG continuation rows (drug2 = Kegg) and
		// 27,209 rows of a named source without two DrugBank ids.
		{"merged pddi", "merged-pddi", 271723, -1, map[string]int{
			"shifted KEGG continuation row (drug2 = Kegg, no DrugBank ids)": 52104,
			"no DrugBank id for one of the drugs":                           27209}},
		{"hsdn", "hsdn-symptom-disease", 10465, -1, nil},
		{"vocabulary", "drugbank-vocabulary", 13475, 0, nil},
		{"who atc", "who-atc-ddd", 7536, -1, nil},
		{"icd-10-cm", "icd10cm-2019", 94444, -1, nil},
		// 14,567 diagnosis and 3,882 procedure codes.
		{"mimic icd-9", "mimic3-demo", 14567 + 3882, -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reportOf(t, reps, tt.source)
			if r.RowsRead != tt.rowsRead {
				t.Errorf("rows read = %d, want %d", r.RowsRead, tt.rowsRead)
			}
			if tt.edges >= 0 && r.Edges != tt.edges {
				t.Errorf("edges = %d, want %d", r.Edges, tt.edges)
			}
			for reason, n := range tt.dropped {
				if r.DroppedBy[reason] != n {
					t.Errorf("dropped for %q = %d, want %d (all: %v)", reason, r.DroppedBy[reason], n, r.DroppedBy)
				}
			}
		})
	}
	kegg := reportOf(t, reps, "merged-pddi").Repaired["KEGG row with empty source column: source set to KEGG, drugs taken from their DrugBank ids"]
	// 52,104 rows have a kegg.jp URI and two DrugBank ids; 96 of them pair
	// a drug with itself and are dropped.
	if kegg != 52104-96 {
		t.Errorf("KEGG rows repaired = %d, want 52,008", kegg)
	}
}

func TestRealDataNodes(t *testing.T) {
	g, _ := realData(t)
	count := map[string]int{}
	for _, n := range g.nodes {
		count[n.Type]++
	}
	tests := []struct {
		typ  string
		want int
	}{
		{TypePatient, 59},
		{TypeSymptom, 316},        // HSDN: 316 symptoms
		{TypeCondition, 121},      // Synthea: 121 distinct SNOMED CT codes
		{TypeMedication, 92},      // Synthea: 92 distinct RxNorm codes
		{TypeProcedure, 3882},     // MIMIC D_ICD_PROCEDURES
		{TypeATCClass, 6996 + 62}, // WHO codes + the 62 DrugBank 4.2 codes WHO no longer lists (comm(1))
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			if count[tt.typ] != tt.want {
				t.Errorf("%s nodes = %d, want %d", tt.typ, count[tt.typ], tt.want)
			}
		})
	}
}

// Clinicians type common names; DrugBank's preferred names differ.
func TestResolveDrug(t *testing.T) {
	g, _ := realData(t)
	tests := []struct {
		name, input, wantID, wantMatch string
	}{
		{"aspirin", "aspirin", "DrugBank:DB00945", MatchExactSynonym},
		{"aspirin upper case", "ASPIRIN", "DrugBank:DB00945", MatchExactSynonym},
		{"preferred name", "acetylsalicylic acid", "DrugBank:DB00945", MatchExactName},
		{"warfarin", "warfarin", "DrugBank:DB00682", MatchExactName},
		{"lithium", "lithium", "DrugBank:DB01356", MatchExactSynonym},
		{"lithium carbonate", "lithium carbonate", "DrugBank:DB14509", MatchExactName},
		{"paracetamol", "paracetamol", "DrugBank:DB00316", MatchExactSynonym},
		{"typo", "metfromin", "DrugBank:DB00331", MatchTypo},
		{"drugbank id", "DB00682", "DrugBank:DB00682", "DrugBank id"},
		{"atc code", "B01AA03", "DrugBank:DB00682", "ATC code"},
		{"rxnorm code", "198405", "DrugBank:DB01050", "RxNorm ingredient"},
		{"unknown", "notadrugatall", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := g.ResolveDrug(tt.input)
			if tt.wantID == "" {
				if len(rs) != 0 {
					t.Errorf("ResolveDrug(%q) = %+v, want nothing", tt.input, rs)
				}
				return
			}
			if len(rs) != 1 || rs[0].ID != tt.wantID || rs[0].Match != tt.wantMatch {
				t.Errorf("ResolveDrug(%q) = %+v, want %s by %s", tt.input, rs, tt.wantID, tt.wantMatch)
			}
		})
	}
}

func TestRealInteractions(t *testing.T) {
	g, _ := realData(t)
	rep := g.Interactions([]string{"warfarin", "aspirin"})
	if len(rep.Interactions) != 1 || len(rep.Unresolved) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	var descs []string
	for _, f := range rep.Interactions[0].Findings {
		descs = append(descs, f.Description)
	}
	// ddi_pairs.csv: DB00682,DB00945,5 -> interaction_types 6.
	if want := "Warfarin may increase the anticoagulant activities of Acetylsalicylic acid."; !slices.Contains(descs, want) {
		t.Errorf("findings %q lack %q", descs, want)
	}
	// merged-PDDI grades the pair: OSCAR 2 (moderate), French formulary PC (minor).
	if rep.Interactions[0].Severity != SeverityModerate {
		t.Errorf("severity = %q, want moderate", rep.Interactions[0].Severity)
	}
}

func TestRealSearch(t *testing.T) {
	g, _ := realData(t)
	tests := []struct {
		name, q string
		types   []string
		wantID  string
	}{
		{"typo", "metfromin", []string{TypeDrug}, "DrugBank:DB00331"},
		{"icd-10 code with dot", "E11.9", nil, "ICD10CM:E119"},
		{"disease", "hypertension", []string{TypeDisease}, "DOID:10763"},
		{"symptom", "fever", []string{TypeSymptom}, "MESH:D005334"},
		{"prefix", "acetylsalicylic", []string{TypeDrug}, "DrugBank:DB00945"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := g.Search(tt.q, SearchOptions{Types: tt.types, Limit: 3})
			if len(hits) == 0 || hits[0].ID != tt.wantID {
				t.Errorf("Search(%q) = %+v, want %s first", tt.q, hits, tt.wantID)
			}
		})
	}
}

// The graph must beat ranking diseases by frequency.
func TestEvaluateSuggestions(t *testing.T) {
	g, _ := realData(t)
	ev, err := g.EvaluateSuggestions(42, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if ev.TestQueries < 100 {
		t.Errorf("only %d test queries", ev.TestQueries)
	}
	base := ev.Recall["frequency baseline"]
	if ev.Recall["graph, mixed"] <= base || ev.Recall["graph, hidden"] <= base {
		t.Errorf("recall@10 %v does not beat the frequency baseline %v", ev.Recall, base)
	}
}
