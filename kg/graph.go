package kg

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/galenhealth/galen"
)

// Entity is one node of the graph with what every source said about it
// merged: the name of the most authoritative source, the other names as
// synonyms, and the attributes of all.
type Entity struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Synonyms []string `json:"synonyms,omitempty"`
	Attrs    []Attr   `json:"attrs,omitempty"`
	Sources  []string `json:"sources"`
}

// gedge is an edge in memory: node indices and interned strings.
type gedge struct {
	from, to int32
	typ      string
	source   string
	attrs    []Attr
}

// Graph is the in-memory knowledge graph. It is read-only once built and
// safe for concurrent use.
type Graph struct {
	// Generation is the store generation the graph was built from.
	Generation int64
	nodes      []Entity
	ids        map[string]int32
	edges      []gedge
	out, in    [][]int32 // edge indices by node
	licenses   map[string]string
	search     *searchIndex

	searchers sync.Pool // of *searcher (query.go)

	symOnce  sync.Once
	symModel *symptomModel // built on first use (suggest.go)
}

// sourceRank orders sources by how much their names are trusted.
var sourceRank = map[string]int{
	"drugbank-vocabulary": 0, "disease-ontology": 1, "who-atc-ddd": 2, "icd10cm-2019": 3, "mimic3-demo": 4,
	"drugbank-4.2-atc": 5, "pharmacotherapydb": 6, "hsdn-symptom-disease": 7, "synthea-ca-59": 8,
	"drugbank-ddi-86": 9, "merged-pddi": 10, CrosswalkSource: 11,
}

func rankOf(source string) int {
	if r, ok := sourceRank[source]; ok {
		return r
	}
	return 100
}

// GraphBuilder assembles a Graph from store records: every node first,
// then every edge.
type GraphBuilder struct {
	recs     map[string][]Node
	order    []string
	g        *Graph
	intern   map[string]string
	dangling int
}

// NewGraphBuilder returns an empty builder.
func NewGraphBuilder() *GraphBuilder {
	return &GraphBuilder{recs: map[string][]Node{}, intern: map[string]string{}, g: &Graph{ids: map[string]int32{}, licenses: map[string]string{}}}
}

func (gb *GraphBuilder) str(s string) string {
	if len(s) > 256 {
		return s
	}
	if v, ok := gb.intern[s]; ok {
		return v
	}
	gb.intern[s] = s
	return s
}

// AddNode adds one source's record of a node.
func (gb *GraphBuilder) AddNode(n *Node) error {
	if _, ok := gb.recs[n.ID]; !ok {
		gb.order = append(gb.order, n.ID)
	}
	gb.recs[n.ID] = append(gb.recs[n.ID], *n)
	return nil
}

// AddEdge adds an edge; call it after every AddNode. An edge whose end no
// node describes is counted and left out.
func (gb *GraphBuilder) AddEdge(e *Edge) error {
	if gb.recs != nil {
		gb.mergeNodes()
	}
	g := gb.g
	from, ok1 := g.ids[e.From]
	to, ok2 := g.ids[e.To]
	if !ok1 || !ok2 {
		gb.dangling++
		return nil
	}
	attrs := make([]Attr, len(e.Attrs))
	for i, a := range e.Attrs {
		attrs[i] = Attr{Name: gb.str(a.Name), Kind: gb.str(a.Kind), Num: a.Num, Unit: gb.str(a.Unit), Text: gb.str(a.Text)}
	}
	i := int32(len(g.edges))
	g.edges = append(g.edges, gedge{from: from, to: to, typ: gb.str(e.Type), source: gb.str(e.Source), attrs: attrs})
	g.out[from] = append(g.out[from], i)
	g.in[to] = append(g.in[to], i)
	return nil
}

// SetLicense records the license of a source, shown with its edges.
func (gb *GraphBuilder) SetLicense(source, license string) { gb.g.licenses[source] = license }

// mergeNodes turns the node records into entities.
func (gb *GraphBuilder) mergeNodes() {
	g := gb.g
	g.nodes = make([]Entity, 0, len(gb.order))
	for _, id := range gb.order {
		recs := gb.recs[id]
		slices.SortStableFunc(recs, func(a, b Node) int { return rankOf(a.Source) - rankOf(b.Source) })
		e := Entity{ID: id, Type: recs[0].Type}
		for _, r := range recs {
			if e.Type == TypeConcept && r.Type != TypeConcept {
				e.Type = r.Type
			}
			if e.Name == "" {
				e.Name = r.Name
			}
		}
		for _, r := range recs {
			e.Synonyms = addSynonyms(e.Name, e.Synonyms, append([]string{r.Name}, r.Synonyms...))
			e.Attrs = append(e.Attrs, r.Attrs...)
			if !slices.Contains(e.Sources, r.Source) {
				e.Sources = append(e.Sources, gb.str(r.Source))
			}
		}
		if e.Name == "" {
			e.Name = id
		}
		e.Type = gb.str(e.Type)
		g.ids[id] = int32(len(g.nodes))
		g.nodes = append(g.nodes, e)
	}
	g.out = make([][]int32, len(g.nodes))
	g.in = make([][]int32, len(g.nodes))
	gb.recs, gb.order = nil, nil
}

// Build finishes the graph and its search index.
func (gb *GraphBuilder) Build() *Graph {
	if gb.recs != nil {
		gb.mergeNodes()
	}
	g := gb.g
	g.search = newSearchIndex(g)
	return g
}

// Dangling returns how many edges were left out for a missing end.
func (gb *GraphBuilder) Dangling() int { return gb.dangling }

// Load builds the graph from everything the store holds.
func Load(ctx context.Context, store galen.KGService) (*Graph, error) {
	gb := NewGraphBuilder()
	gen, err := store.ScanKG(ctx, gb.AddNode, gb.AddEdge)
	if err != nil {
		return nil, fmt.Errorf("kg: load graph: %w", err)
	}
	srcs, err := store.FindKGSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("kg: load graph: %w", err)
	}
	for _, s := range srcs {
		gb.SetLicense(s.Name, s.License)
	}
	g := gb.Build()
	g.Generation = gen
	return g, nil
}

// Len returns the number of nodes and edges.
func (g *Graph) Len() (nodes, edges int) { return len(g.nodes), len(g.edges) }

// Entity returns the entity with id. ENOTFOUND if there is none.
func (g *Graph) Entity(id string) (*Entity, error) {
	i, ok := g.ids[id]
	if !ok {
		return nil, galen.Errorf(galen.ENOTFOUND, "no entity %q in the knowledge graph", id)
	}
	e := g.nodes[i]
	return &e, nil
}

// Degree returns the number of edges at id, both directions.
func (g *Graph) Degree(id string) int {
	i, ok := g.ids[id]
	if !ok {
		return 0
	}
	return len(g.out[i]) + len(g.in[i])
}

// Count is a number of nodes or edges of one type and source.
type Count struct {
	Kind   string `json:"kind"` // "node" or "edge"
	Type   string `json:"type"`
	Source string `json:"source"`
	N      int    `json:"n"`
}

// Counts returns node counts by type and contributing source, and edge
// counts by type and source, sorted.
func (g *Graph) Counts() []Count {
	m := map[Count]int{}
	for _, n := range g.nodes {
		for _, s := range n.Sources {
			m[Count{Kind: "node", Type: n.Type, Source: s}]++
		}
	}
	for _, e := range g.edges {
		m[Count{Kind: "edge", Type: e.typ, Source: e.source}]++
	}
	out := make([]Count, 0, len(m))
	for c, n := range m {
		c.N = n
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Count) int {
		return strings.Compare(a.Kind+a.Type+"\x00"+a.Source, b.Kind+b.Type+"\x00"+b.Source)
	})
	return out
}

// relation returns edge i in its outside form.
func (g *Graph) relation(i int32) Relation {
	e := g.edges[i]
	return Relation{From: g.nodes[e.from].ID, To: g.nodes[e.to].ID, Type: e.typ, Source: e.source,
		License: g.licenses[e.source], Attrs: e.attrs, FromName: g.nodes[e.from].Name, ToName: g.nodes[e.to].Name}
}

// Relation is an edge as queries return it.
type Relation struct {
	From     string `json:"from"`
	FromName string `json:"from_name"`
	Type     string `json:"type"`
	To       string `json:"to"`
	ToName   string `json:"to_name"`
	Source   string `json:"source"`
	License  string `json:"license,omitempty"`
	Attrs    []Attr `json:"attrs,omitempty"`
}

// Text renders the relation: "Warfarin —interacts with→ Acetylsalicylic acid".
func (r Relation) Text() string {
	return r.FromName + " —" + relLabel(r) + "→ " + r.ToName
}

// relLabel is the edge label used in rendered paths, with the severity or
// mechanism of an interaction.
func relLabel(r Relation) string {
	l := EdgeLabel(r.Type)
	if r.Type == EdgeInteracts {
		if s := AttrText(r.Attrs, "severity"); s != "" {
			return l + ": " + s
		}
		if d := AttrText(r.Attrs, "description"); d != "" {
			return l + ": " + shortEffect(d)
		}
	}
	return l
}

// effectPatterns turn DDI-86 description templates into short effects.
var effectPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^The (.+?) of #Drug[12] can be (increased|decreased)`), "$1 $2"},
	{regexp.MustCompile(`^The (.+?) can be (increased|decreased)`), "$1 $2"},
	{regexp.MustCompile(`^#Drug1 may (increase|decrease) the (.+?) of #Drug2`), "$2: $1"},
	{regexp.MustCompile(`^#Drug1 can cause an? (increase|decrease) in the (.+?) of #Drug2`), "$2: $1"},
}

// shortEffect shortens a DDI description template to its effect:
// "The metabolism of #Drug2 can be decreased when combined with #Drug1."
// -> "metabolism decreased"; other texts are clipped.
func shortEffect(d string) string {
	d = strings.TrimSpace(d)
	for _, p := range effectPatterns {
		if m := p.re.FindStringSubmatchIndex(d); m != nil {
			return clip(string(p.re.ExpandString(nil, p.repl, d, m)), 80)
		}
	}
	d = strings.NewReplacer("#Drug1", "drug 1", "#Drug2", "drug 2").Replace(strings.TrimSuffix(d, "."))
	return clip(d, 80)
}
