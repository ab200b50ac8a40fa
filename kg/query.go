package kg

import (
	"fmt"
	"slices"
	"strings"

	"github.com/galenhealth/galen"
)

// Directions of a neighbour query.
const (
	DirOut  = "out"
	DirIn   = "in"
	DirBoth = "both"
)

// NeighbourOptions filter and page a neighbour query.
type NeighbourOptions struct {
	EdgeTypes []string // keep these edge types; all if empty
	Direction string   // DirOut, DirIn or DirBoth (default)
	NodeTypes []string // keep neighbours of these types; all if empty
	Offset    int
	Limit     int // default 50, at most 1000
}

// Neighbour is one edge at the entity and the entity at its other end.
type Neighbour struct {
	Direction string   `json:"direction"` // "out" or "in", seen from the entity asked about
	Relation  Relation `json:"relation"`
	Node      Ref      `json:"node"`
	Text      string   `json:"text"`
}

// Ref names an entity briefly.
type Ref struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
}

func (g *Graph) ref(i int32) Ref {
	n := &g.nodes[i]
	return Ref{ID: n.ID, Type: n.Type, Name: n.Name}
}

// NeighbourPage is one page of neighbours and how many there are in all.
type NeighbourPage struct {
	Total      int         `json:"total"`
	Offset     int         `json:"offset"`
	Neighbours []Neighbour `json:"neighbours"`
}

// Validate checks the options; EINVALID names what is wrong.
func (o *NeighbourOptions) Validate() error {
	switch o.Direction {
	case "":
		o.Direction = DirBoth
	case DirOut, DirIn, DirBoth:
	default:
		return galen.Errorf(galen.EINVALID, "direction %q: want out, in or both", o.Direction)
	}
	if o.Offset < 0 || o.Limit < 0 || o.Limit > 1000 {
		return galen.Errorf(galen.EINVALID, "offset must be >= 0 and limit between 0 and 1000")
	}
	if o.Limit == 0 {
		o.Limit = 50
	}
	return nil
}

// Neighbours returns the edges at id that pass the filters, a page at a
// time: outgoing edges first, then incoming, each in stored order.
func (g *Graph) Neighbours(id string, opt NeighbourOptions) (*NeighbourPage, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	i, ok := g.ids[id]
	if !ok {
		return nil, galen.Errorf(galen.ENOTFOUND, "no entity %q in the knowledge graph", id)
	}
	page := &NeighbourPage{Offset: opt.Offset, Neighbours: []Neighbour{}}
	visit := func(edges []int32, dir string) {
		for _, ei := range edges {
			e := &g.edges[ei]
			other := e.to
			if dir == DirIn {
				other = e.from
			}
			if len(opt.EdgeTypes) > 0 && !slices.Contains(opt.EdgeTypes, e.typ) {
				continue
			}
			if len(opt.NodeTypes) > 0 && !slices.Contains(opt.NodeTypes, g.nodes[other].Type) {
				continue
			}
			page.Total++
			if page.Total <= opt.Offset || len(page.Neighbours) >= opt.Limit {
				continue
			}
			r := g.relation(ei)
			page.Neighbours = append(page.Neighbours, Neighbour{Direction: dir, Relation: r, Node: g.ref(other), Text: r.Text()})
		}
	}
	if opt.Direction != DirIn {
		visit(g.out[i], DirOut)
	}
	if opt.Direction != DirOut {
		visit(g.in[i], DirIn)
	}
	return page, nil
}

// Subgraph is a set of entities and the edges among them.
type Subgraph struct {
	Nodes     []Ref      `json:"nodes"`
	Edges     []Relation `json:"edges"`
	Truncated bool       `json:"truncated"` // the node limit was reached
}

// Subgraph returns the entities within hops edges of any of ids (either
// direction, at most maxNodes of them, nearest first) and every edge among
// them whose type is in edgeTypes (all if empty).
func (g *Graph) Subgraph(ids []string, hops, maxNodes int, edgeTypes []string) (*Subgraph, error) {
	if hops < 0 || hops > 3 {
		return nil, galen.Errorf(galen.EINVALID, "hops must be between 0 and 3")
	}
	if maxNodes <= 0 || maxNodes > 5000 {
		maxNodes = 200
	}
	in := map[int32]bool{}
	var order []int32
	for _, id := range ids {
		i, ok := g.ids[id]
		if !ok {
			return nil, galen.Errorf(galen.ENOTFOUND, "no entity %q in the knowledge graph", id)
		}
		if !in[i] {
			in[i] = true
			order = append(order, i)
		}
	}
	sg := &Subgraph{}
	frontier := slices.Clone(order)
	for h := 0; h < hops && len(frontier) > 0; h++ {
		var next []int32
		for _, n := range frontier {
			for _, ei := range append(slices.Clone(g.out[n]), g.in[n]...) {
				e := &g.edges[ei]
				if len(edgeTypes) > 0 && !slices.Contains(edgeTypes, e.typ) {
					continue
				}
				other := e.to
				if other == n {
					other = e.from
				}
				if in[other] {
					continue
				}
				if len(order) >= maxNodes {
					sg.Truncated = true
					break
				}
				in[other] = true
				order = append(order, other)
				next = append(next, other)
			}
		}
		frontier = next
	}
	for _, n := range order {
		sg.Nodes = append(sg.Nodes, g.ref(n))
		for _, ei := range g.out[n] {
			e := &g.edges[ei]
			if in[e.to] && (len(edgeTypes) == 0 || slices.Contains(edgeTypes, e.typ)) {
				sg.Edges = append(sg.Edges, g.relation(ei))
			}
		}
	}
	return sg, nil
}

// Step is one edge of a path, walked forward (from its start to its end)
// or backward.
type Step struct {
	Relation Relation `json:"relation"`
	Forward  bool     `json:"forward"`
}

// Path is a walk through the graph with its readable text.
type Path struct {
	Nodes []Ref  `json:"nodes"`
	Steps []Step `json:"steps"`
	Hops  int    `json:"hops"`
	Text  string `json:"text"`
}

// render writes a path as text: "Warfarin —interacts with→ Aspirin
// ←treats— ...".
func (p *Path) render() {
	var b strings.Builder
	b.WriteString(p.Nodes[0].Name)
	for i, s := range p.Steps {
		if s.Forward {
			fmt.Fprintf(&b, " —%s→ ", relLabel(s.Relation))
		} else {
			fmt.Fprintf(&b, " ←%s— ", relLabel(s.Relation))
		}
		b.WriteString(p.Nodes[i+1].Name)
	}
	p.Text = b.String()
}

// PathOptions bound a path search.
type PathOptions struct {
	MaxHops   int      // default 4, at most 6
	K         int      // paths wanted (default 1, at most 20)
	EdgeTypes []string // edge types that may be walked; all if empty
}

func (o *PathOptions) validate() error {
	if o.MaxHops == 0 {
		o.MaxHops = 4
	}
	if o.K == 0 {
		o.K = 1
	}
	if o.MaxHops < 1 || o.MaxHops > 6 {
		return galen.Errorf(galen.EINVALID, "max_hops must be between 1 and 6")
	}
	if o.K < 1 || o.K > 20 {
		return galen.Errorf(galen.EINVALID, "k must be between 1 and 20")
	}
	return nil
}

// Paths returns up to K shortest loopless paths from one entity to another
// (edges walked in either direction), none longer than MaxHops, shortest
// first (Yen's algorithm over breadth-first search). An empty answer means
// no path within the hop limit.
func (g *Graph) Paths(from, to string, opt PathOptions) ([]Path, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	s, ok1 := g.ids[from]
	t, ok2 := g.ids[to]
	if !ok1 || !ok2 {
		missing := from
		if ok1 {
			missing = to
		}
		return nil, galen.Errorf(galen.ENOTFOUND, "no entity %q in the knowledge graph", missing)
	}
	if s == t {
		return nil, galen.Errorf(galen.EINVALID, "from and to are the same entity")
	}
	bfs := g.searcher(opt.EdgeTypes)
	defer g.searchers.Put(bfs)
	first := bfs.shortest(s, t, opt.MaxHops, nil, nil)
	if first == nil {
		return []Path{}, nil
	}
	found := []walk{*first}
	var candidates []walk
	for len(found) < opt.K {
		last := found[len(found)-1]
		for i := 0; i < len(last.edges); i++ {
			rootNodes, rootEdges := last.nodes[:i+1], last.edges[:i]
			blockedEdges := map[int32]bool{}
			for _, p := range found {
				if len(p.edges) > i && slices.Equal(p.nodes[:i+1], rootNodes) {
					blockedEdges[p.edges[i]] = true
				}
			}
			blockedNodes := map[int32]bool{}
			for _, n := range rootNodes[:i] {
				blockedNodes[n] = true
			}
			spur := bfs.shortest(last.nodes[i], t, opt.MaxHops-i, blockedNodes, blockedEdges)
			if spur == nil {
				continue
			}
			w := walk{nodes: append(slices.Clone(rootNodes), spur.nodes[1:]...), edges: append(slices.Clone(rootEdges), spur.edges...)}
			if !slices.ContainsFunc(candidates, w.equal) && !slices.ContainsFunc(found, w.equal) {
				candidates = append(candidates, w)
			}
		}
		if len(candidates) == 0 {
			break
		}
		slices.SortStableFunc(candidates, func(a, b walk) int { return len(a.edges) - len(b.edges) })
		found = append(found, candidates[0])
		candidates = candidates[1:]
	}
	paths := make([]Path, len(found))
	for i, w := range found {
		paths[i] = g.path(w)
	}
	return paths, nil
}

// walk is a path as node and edge indices.
type walk struct {
	nodes []int32
	edges []int32
}

func (w walk) equal(o walk) bool {
	return slices.Equal(w.edges, o.edges) && slices.Equal(w.nodes, o.nodes)
}

// path turns a walk into a rendered Path.
func (g *Graph) path(w walk) Path {
	p := Path{Hops: len(w.edges)}
	for _, n := range w.nodes {
		p.Nodes = append(p.Nodes, g.ref(n))
	}
	for i, ei := range w.edges {
		p.Steps = append(p.Steps, Step{Relation: g.relation(ei), Forward: g.edges[ei].from == w.nodes[i]})
	}
	p.render()
	return p
}

// searcher runs hop-limited breadth-first searches from both ends at once.
type searcher struct {
	g         *Graph
	edgeTypes []string
	// Per node: hops from the start (distF) or the end (distB), -1 when
	// not reached, and the edge it was reached by.
	distF, distB []int32
	viaF, viaB   []int32
	touched      []int32
}

func (g *Graph) newSearcher(edgeTypes []string) *searcher {
	n := len(g.nodes)
	b := &searcher{g: g, edgeTypes: edgeTypes, distF: make([]int32, n), distB: make([]int32, n), viaF: make([]int32, n), viaB: make([]int32, n)}
	for i := range n {
		b.distF[i], b.distB[i] = -1, -1
	}
	return b
}

// searcher returns a searcher from the pool, or a new one.
func (g *Graph) searcher(edgeTypes []string) *searcher {
	if b, ok := g.searchers.Get().(*searcher); ok {
		b.reset()
		b.edgeTypes = edgeTypes
		return b
	}
	return g.newSearcher(edgeTypes)
}

// reset clears the nodes the last search reached.
func (b *searcher) reset() {
	for _, n := range b.touched {
		b.distF[n], b.distB[n] = -1, -1
	}
	b.touched = b.touched[:0]
}

// walkable reports whether edge ei may be walked.
func (b *searcher) walkable(ei int32, blockedEdges map[int32]bool) bool {
	if blockedEdges[ei] {
		return false
	}
	return len(b.edgeTypes) == 0 || slices.Contains(b.edgeTypes, b.g.edges[ei].typ)
}

// shortest returns a shortest walk from s to t of at most maxHops edges
// avoiding the blocked nodes and edges, or nil. It grows the side whose
// frontier has fewer edges, one whole level at a time, so that a search
// between two hubs does not flood the graph from one of them.
func (b *searcher) shortest(s, t int32, maxHops int, blockedNodes, blockedEdges map[int32]bool) *walk {
	g := b.g
	b.reset()
	b.distF[s], b.distB[t] = 0, 0
	b.viaF[s], b.viaB[t] = -1, -1
	b.touched = append(b.touched, s, t)
	front, back := []int32{s}, []int32{t}
	levelF, levelB := 0, 0
	cost := func(ns []int32) int {
		c := 0
		for _, n := range ns {
			c += len(g.out[n]) + len(g.in[n])
		}
		return c
	}
	for levelF+levelB < maxHops && len(front) > 0 && len(back) > 0 {
		forward := cost(front) <= cost(back)
		frontier, dist, via, other := front, b.distF, b.viaF, b.distB
		if !forward {
			frontier, dist, via, other = back, b.distB, b.viaB, b.distF
		}
		level := int32(levelF)
		if !forward {
			level = int32(levelB)
		}
		var next []int32
		best, bestLen, bestEdge, bestFrom := int32(-1), int32(1<<30), int32(-1), int32(-1)
		for _, n := range frontier {
			for _, list := range [2][]int32{g.out[n], g.in[n]} {
				for _, ei := range list {
					if !b.walkable(ei, blockedEdges) {
						continue
					}
					e := &g.edges[ei]
					m := e.to
					if m == n {
						m = e.from
					}
					if blockedNodes[m] {
						continue
					}
					if other[m] >= 0 {
						// The two searches meet over edge ei.
						if l := level + 1 + other[m]; l < bestLen {
							best, bestLen, bestEdge, bestFrom = m, l, ei, n
						}
						continue
					}
					if dist[m] >= 0 {
						continue
					}
					dist[m], via[m] = level+1, ei
					b.touched = append(b.touched, m)
					next = append(next, m)
				}
			}
		}
		if best >= 0 {
			if forward {
				return b.join(s, t, bestFrom, best, bestEdge)
			}
			return b.join(s, t, best, bestFrom, bestEdge)
		}
		if forward {
			front, levelF = next, levelF+1
		} else {
			back, levelB = next, levelB+1
		}
	}
	return nil
}

// join builds the walk s .. u -ei- v .. t from the two search trees: u is
// reached from s, v from t.
func (b *searcher) join(s, t, u, v, ei int32) *walk {
	g := b.g
	w := &walk{}
	for n := u; ; {
		w.nodes = append(w.nodes, n)
		if n == s {
			break
		}
		e := &g.edges[b.viaF[n]]
		w.edges = append(w.edges, b.viaF[n])
		if e.from == n {
			n = e.to
		} else {
			n = e.from
		}
	}
	slices.Reverse(w.nodes)
	slices.Reverse(w.edges)
	w.edges = append(w.edges, ei)
	for n := v; ; {
		w.nodes = append(w.nodes, n)
		if n == t {
			break
		}
		e := &g.edges[b.viaB[n]]
		w.edges = append(w.edges, b.viaB[n])
		if e.from == n {
			n = e.to
		} else {
			n = e.from
		}
	}
	return w
}

// metaStep is one step of a metapath.
type metaStep struct {
	edgeType string
	forward  bool
	nodeType string
}

// Metapath is a pattern of node and edge types such as
// "Drug -treats-> Disease -has_symptom-> Symptom"; "<-type-" walks an
// edge backwards.
type Metapath struct {
	start string
	steps []metaStep
	text  string
}

// ParseMetapath reads a metapath; EINVALID names what is wrong.
func ParseMetapath(s string) (*Metapath, error) {
	f := strings.Fields(s)
	if len(f) < 3 || len(f)%2 == 0 {
		return nil, galen.Errorf(galen.EINVALID, "metapath %q: want NodeType -edge_type-> NodeType ..., e.g. \"Drug -treats-> Disease -has_symptom-> Symptom\"", s)
	}
	m := &Metapath{start: f[0], text: s}
	for i := 1; i < len(f); i += 2 {
		e := f[i]
		var st metaStep
		switch {
		case strings.HasPrefix(e, "-") && strings.HasSuffix(e, "->") && len(e) > 3:
			st = metaStep{edgeType: e[1 : len(e)-2], forward: true}
		case strings.HasPrefix(e, "<-") && strings.HasSuffix(e, "-") && len(e) > 3:
			st = metaStep{edgeType: e[2 : len(e)-1]}
		default:
			return nil, galen.Errorf(galen.EINVALID, "metapath %q: step %q: want -edge_type-> or <-edge_type-", s, e)
		}
		st.nodeType = f[i+1]
		m.steps = append(m.steps, st)
	}
	return m, nil
}

// MetapathPaths returns up to limit walks from the entity from that follow
// the metapath, ending at to if to is not empty, without revisiting a node.
func (g *Graph) MetapathPaths(from string, m *Metapath, to string, limit int) ([]Path, error) {
	s, ok := g.ids[from]
	if !ok {
		return nil, galen.Errorf(galen.ENOTFOUND, "no entity %q in the knowledge graph", from)
	}
	if g.nodes[s].Type != m.start {
		return nil, galen.Errorf(galen.EINVALID, "%s is a %s, but the metapath starts at %s", from, g.nodes[s].Type, m.start)
	}
	t := int32(-1)
	if to != "" {
		ti, ok := g.ids[to]
		if !ok {
			return nil, galen.Errorf(galen.ENOTFOUND, "no entity %q in the knowledge graph", to)
		}
		t = ti
	}
	if limit <= 0 || limit > 1000 {
		limit = 20
	}
	var out []Path
	cur := walk{nodes: []int32{s}}
	var dfs func(depth int)
	dfs = func(depth int) {
		if len(out) >= limit {
			return
		}
		n := cur.nodes[len(cur.nodes)-1]
		if depth == len(m.steps) {
			if t < 0 || n == t {
				out = append(out, g.path(walk{nodes: slices.Clone(cur.nodes), edges: slices.Clone(cur.edges)}))
			}
			return
		}
		st := m.steps[depth]
		list := g.out[n]
		if !st.forward {
			list = g.in[n]
		}
		for _, ei := range list {
			e := &g.edges[ei]
			other := e.to
			if !st.forward {
				other = e.from
			}
			if e.typ != st.edgeType || g.nodes[other].Type != st.nodeType || slices.Contains(cur.nodes, other) {
				continue
			}
			if depth == len(m.steps)-1 && t >= 0 && other != t {
				continue
			}
			cur.nodes, cur.edges = append(cur.nodes, other), append(cur.edges, ei)
			dfs(depth + 1)
			cur.nodes, cur.edges = cur.nodes[:len(cur.nodes)-1], cur.edges[:len(cur.edges)-1]
			if len(out) >= limit {
				return
			}
		}
	}
	dfs(0)
	if out == nil {
		out = []Path{}
	}
	return out, nil
}
