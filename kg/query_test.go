package kg

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
)

// miniGraph builds the hand-written graph of testdata/mini-graph.json:
//
//	alphamycin -interacts(major)-> betacillin, alphamycin -interacts-> gammazole
//	alphamycin, betacillin -treats-> xitis; gammazole -palliates-> yosis
//	xitis -has_symptom-> fever (3), cough (4); yosis -> fever (1), rash (1)
//	zemia -has_symptom-> rash (5); zemia -is_a-> yosis
func miniGraph(tb testing.TB) *Graph {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mini-graph.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var fx struct {
		Nodes []Node `json:"nodes"`
		Edges []Edge `json:"edges"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		tb.Fatal(err)
	}
	gb := NewGraphBuilder()
	for i := range fx.Nodes {
		gb.AddNode(&fx.Nodes[i])
	}
	for i := range fx.Edges {
		gb.AddEdge(&fx.Edges[i])
	}
	return gb.Build()
}

func TestPaths(t *testing.T) {
	g := miniGraph(t)
	tests := []struct {
		name     string
		from, to string
		opt      PathOptions
		want     []string
		wantCode string
	}{
		{"shortest", "DrugBank:DB1", "MESH:D000001", PathOptions{},
			[]string{"alphamycin —treats→ xitis —has symptom→ fever"}, ""},
		{"backwards", "MESH:D000002", "DrugBank:DB2", PathOptions{},
			[]string{"cough ←has symptom— xitis ←treats— betacillin"}, ""},
		{"k best", "DrugBank:DB1", "MESH:D000001", PathOptions{K: 3, MaxHops: 3},
			[]string{"alphamycin —treats→ xitis —has symptom→ fever",
				"alphamycin —interacts with: major→ betacillin —treats→ xitis —has symptom→ fever",
				"alphamycin —interacts with→ gammazole —palliates→ yosis —has symptom→ fever"}, ""},
		{"hop limit", "DrugBank:DB1", "DOID:3", PathOptions{MaxHops: 2}, []string{}, ""},
		{"hop limit reached", "DrugBank:DB1", "DOID:3", PathOptions{MaxHops: 3},
			[]string{"alphamycin —interacts with→ gammazole —palliates→ yosis ←is a— zemia"}, ""},
		{"edge type filter", "DrugBank:DB1", "MESH:D000001", PathOptions{EdgeTypes: []string{"interacts_with", "palliates", "has_symptom"}},
			[]string{"alphamycin —interacts with→ gammazole —palliates→ yosis —has symptom→ fever"}, ""},
		{"unknown entity", "DrugBank:DB9", "DOID:1", PathOptions{}, nil, galen.ENOTFOUND},
		{"same entity", "DOID:1", "DOID:1", PathOptions{}, nil, galen.EINVALID},
		{"too many hops", "DOID:1", "DOID:2", PathOptions{MaxHops: 7}, nil, galen.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := g.Paths(tt.from, tt.to, tt.opt)
			if galen.ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v, want code %q", err, tt.wantCode)
			}
			if err != nil {
				return
			}
			got := []string{}
			for _, p := range ps {
				got = append(got, p.Text)
				if p.Hops != len(p.Steps) || len(p.Nodes) != p.Hops+1 {
					t.Errorf("path %q: %d hops, %d steps, %d nodes", p.Text, p.Hops, len(p.Steps), len(p.Nodes))
				}
			}
			if tt.name == "k best" {
				// Paths of equal length may come in either order.
				slices.Sort(got[1:])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("paths =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestMetapath(t *testing.T) {
	g := miniGraph(t)
	tests := []struct {
		name, from, metapath, to string
		want                     []string
		wantCode                 string
	}{
		{"drug treats disease has symptom", "DrugBank:DB1", "Drug -treats-> Disease -has_symptom-> Symptom", "",
			[]string{"alphamycin —treats→ xitis —has symptom→ cough", "alphamycin —treats→ xitis —has symptom→ fever"}, ""},
		{"with end", "DrugBank:DB1", "Drug -treats-> Disease -has_symptom-> Symptom", "MESH:D000002",
			[]string{"alphamycin —treats→ xitis —has symptom→ cough"}, ""},
		{"backward step", "MESH:D000003", "Symptom <-has_symptom- Disease <-palliates- Drug", "",
			[]string{"rash ←has symptom— yosis ←palliates— gammazole"}, ""},
		{"no match", "DrugBank:DB3", "Drug -treats-> Disease", "", []string{}, ""},
		{"wrong start type", "DOID:1", "Drug -treats-> Disease", "", nil, galen.EINVALID},
		{"malformed", "DrugBank:DB1", "Drug treats Disease", "", nil, galen.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetapath(tt.metapath)
			var ps []Path
			if err == nil {
				ps, err = g.MetapathPaths(tt.from, m, tt.to, 10)
			}
			if galen.ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v, want code %q", err, tt.wantCode)
			}
			if err != nil {
				return
			}
			got := []string{}
			for _, p := range ps {
				got = append(got, p.Text)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("paths = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNeighbours(t *testing.T) {
	g := miniGraph(t)
	tests := []struct {
		name  string
		id    string
		opt   NeighbourOptions
		total int
		want  []string
		code  string
	}{
		{"all", "DrugBank:DB1", NeighbourOptions{}, 3, []string{"out betacillin", "out gammazole", "out xitis"}, ""},
		{"edge type", "DrugBank:DB1", NeighbourOptions{EdgeTypes: []string{"treats"}}, 1, []string{"out xitis"}, ""},
		{"incoming", "DOID:1", NeighbourOptions{Direction: "in"}, 2, []string{"in alphamycin", "in betacillin"}, ""},
		{"both directions", "DOID:2", NeighbourOptions{}, 4, []string{"out fever", "out rash", "in gammazole", "in zemia"}, ""},
		{"page", "DOID:2", NeighbourOptions{Offset: 1, Limit: 2}, 4, []string{"out rash", "in gammazole"}, ""},
		{"node type", "DOID:2", NeighbourOptions{NodeTypes: []string{"Disease"}}, 1, []string{"in zemia"}, ""},
		{"bad direction", "DOID:2", NeighbourOptions{Direction: "up"}, 0, nil, galen.EINVALID},
		{"unknown", "DOID:99", NeighbourOptions{}, 0, nil, galen.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := g.Neighbours(tt.id, tt.opt)
			if galen.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			if err != nil {
				return
			}
			var got []string
			for _, n := range p.Neighbours {
				got = append(got, n.Direction+" "+n.Node.Name)
			}
			if p.Total != tt.total || !slices.Equal(got, tt.want) {
				t.Errorf("total %d %q, want %d %q", p.Total, got, tt.total, tt.want)
			}
		})
	}
}

func TestSubgraph(t *testing.T) {
	g := miniGraph(t)
	sg, err := g.Subgraph([]string{"DOID:3"}, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nodes, edges []string
	for _, n := range sg.Nodes {
		nodes = append(nodes, n.Name)
	}
	for _, e := range sg.Edges {
		edges = append(edges, e.Text())
	}
	slices.Sort(edges)
	if want := []string{"zemia", "rash", "yosis"}; !slices.Equal(nodes, want) {
		t.Errorf("nodes = %q, want %q", nodes, want)
	}
	if want := []string{"yosis —has symptom→ rash", "zemia —has symptom→ rash", "zemia —is a→ yosis"}; !slices.Equal(edges, want) {
		t.Errorf("edges = %q, want %q", edges, want)
	}
}

func TestSearchMini(t *testing.T) {
	g := miniGraph(t)
	tests := []struct {
		name, q string
		want    []string // "name/match"
	}{
		{"exact", "xitis", []string{"xitis/" + MatchExactName}},
		{"synonym", "Betacil", []string{"betacillin/" + MatchExactSynonym}},
		{"prefix", "beta", []string{"betacillin/" + MatchPrefix}},
		{"typo", "alphamicin", []string{"alphamycin/" + MatchTypo}},
		{"transposition", "gamamzole", []string{"gammazole/" + MatchTypo}},
		{"code", "D000003", []string{"rash/" + MatchExactCode}},
		{"nothing", "zzzzzzzz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, h := range g.Search(tt.q, SearchOptions{Limit: 1}) {
				got = append(got, h.Name+"/"+h.Match)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %q, want %q", tt.q, got, tt.want)
			}
		})
	}
}

func TestSuggestMini(t *testing.T) {
	g := miniGraph(t)
	rep := g.SuggestDiseases([]string{"fever", "cough", "nosuchsymptom"}, 5)
	var got []string
	for _, s := range rep.Suggestions {
		got = append(got, s.Disease.Name)
	}
	// xitis has both (weights 3 and 4 of norm 5: 0.6 + 0.8); yosis has
	// fever (1 of norm sqrt 2: 0.707); zemia neither.
	if want := []string{"xitis", "yosis"}; !slices.Equal(got, want) {
		t.Errorf("suggestions = %q, want %q", got, want)
	}
	if rep.Suggestions[0].Score != 1.4 {
		t.Errorf("xitis score = %v, want 1.4", rep.Suggestions[0].Score)
	}
	if len(rep.Suggestions[0].Paths) != 2 || rep.Suggestions[0].Paths[0].Text != "xitis —has symptom→ fever" {
		t.Errorf("xitis paths = %+v", rep.Suggestions[0].Paths)
	}
	if !slices.Equal(rep.Unresolved, []string{"nosuchsymptom"}) {
		t.Errorf("unresolved = %q", rep.Unresolved)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		name, a, b string
		maxd, want int
	}{
		{"same", "abc", "abc", 2, 0},
		{"substitution", "abc", "abd", 2, 1},
		{"transposition", "metfromin", "metformin", 2, 1},
		{"insertion", "aspirn", "aspirin", 2, 1},
		{"too far", "abcdef", "uvwxyz", 2, 3},
		{"length", "a", "abcd", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b, tt.maxd, nil); got != tt.want {
				t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestShortEffect(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"metabolism", "The metabolism of #Drug2 can be decreased when combined with #Drug1.", "metabolism decreased"},
		{"risk", "The risk or severity of adverse effects can be increased when #Drug1 is combined with #Drug2.", "risk or severity of adverse effects increased"},
		{"activities", "#Drug1 may increase the anticoagulant activities of #Drug2.", "anticoagulant activities: increase"},
		{"absorption", "#Drug1 can cause a decrease in the absorption of #Drug2 resulting in a reduced serum concentration.", "absorption: decrease"},
		{"free text", "Increased risk of bleeding", "Increased risk of bleeding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shortEffect(tt.in); got != tt.want {
				t.Errorf("shortEffect(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseMetapath checks that any metapath text either parses into
// steps that alternate node and edge types, or is refused with EINVALID.
func FuzzParseMetapath(f *testing.F) {
	f.Add("Drug -treats-> Disease -has_symptom-> Symptom")
	f.Add("Symptom <-has_symptom- Disease")
	f.Add("-> <- - --")
	g := miniGraph(f)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMetapath(s)
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if len(m.steps) == 0 {
			t.Fatal("parsed a metapath without steps")
		}
		if _, err := g.MetapathPaths("DrugBank:DB1", m, "", 5); err != nil && galen.ErrorCode(err) != galen.EINVALID {
			t.Fatalf("MetapathPaths: %v", err)
		}
	})
}

// FuzzSearch checks that no query text makes search fail, and that every
// hit is an entity of the graph.
func FuzzSearch(f *testing.F) {
	g := miniGraph(f)
	for _, s := range []string{"alphamicin", "D000003", "é", "beta", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, h := range g.Search(q, SearchOptions{Limit: 3}) {
			if _, err := g.Entity(h.ID); err != nil {
				t.Fatalf("hit %q is not an entity", h.ID)
			}
		}
		_ = g.Interactions([]string{q, "alphamycin"})
		_ = g.SuggestDiseases([]string{q}, 3)
	})
}
