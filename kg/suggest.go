package kg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// symptomModel scores diseases for a set of symptoms over the weighted
// Disease -has_symptom-> Symptom edges. A disease scores the weights of its
// own edges to the symptoms, plus, scaled by Spread, the weights of
// similar diseases' edges (similarity: cosine of their symptom weight
// vectors), which reaches symptoms the graph does not (yet) link to it:
// the paths Symptom <- Disease -> Symptom <- Disease.
type symptomModel struct {
	diseases []int32              // disease node indices
	w        []map[int32]float64  // per disease: symptom -> weight
	sim      [][]float64          // disease x disease cosine similarity
	shared   [][]int32            // disease x disease: a symptom they share (strongest), -1 if none
	bySym    map[int32][]weighted // symptom -> diseases with weight
	freq     []float64            // edges per disease (the frequency baseline)
	spread   float64
}

type weighted struct {
	d int     // index into diseases
	w float64 // edge weight
}

// DefaultSpread is the weight of similar diseases' edges. On the
// validation split of EvaluateSuggestions (seed 42, 20% hidden) queries
// that mix linked and unlinked symptoms rank best with 0 (see docs/kg.md),
// so the served ranking uses direct edges only.
const DefaultSpread = 0.0

// symptomEdge is one Disease -has_symptom-> Symptom edge.
type symptomEdge struct {
	disease, symptom int32
	weight           float64
}

// symptomEdges returns every has_symptom edge with its weight.
func (g *Graph) symptomEdges() []symptomEdge {
	var out []symptomEdge
	for _, e := range g.edges {
		if e.typ != EdgeHasSymptom {
			continue
		}
		w, ok := AttrNum(e.attrs, "weight")
		if !ok {
			w = 1
		}
		out = append(out, symptomEdge{e.from, e.to, w})
	}
	return out
}

func newSymptomModel(edges []symptomEdge, spread float64) *symptomModel {
	m := &symptomModel{bySym: map[int32][]weighted{}, spread: spread}
	idx := map[int32]int{}
	for _, e := range edges {
		d, ok := idx[e.disease]
		if !ok {
			d = len(m.diseases)
			idx[e.disease] = d
			m.diseases = append(m.diseases, e.disease)
			m.w = append(m.w, map[int32]float64{})
			m.freq = append(m.freq, 0)
		}
		m.w[d][e.symptom] = e.weight
		m.freq[d]++
	}
	n := len(m.diseases)
	norm := make([]float64, n)
	for d := range n {
		for _, w := range m.w[d] {
			norm[d] += w * w
		}
		norm[d] = math.Sqrt(norm[d])
	}
	// Score with each disease's weights scaled to unit length, so that a
	// much-studied disease does not win on its large tf-idf values alone.
	m.bySym = map[int32][]weighted{}
	for d := range n {
		for s, w := range m.w[d] {
			if norm[d] > 0 {
				m.bySym[s] = append(m.bySym[s], weighted{d, w / norm[d]})
			}
		}
	}
	for _, ws := range m.bySym {
		slices.SortFunc(ws, func(a, b weighted) int { return a.d - b.d })
	}
	m.sim = make([][]float64, n)
	m.shared = make([][]int32, n)
	for a := range n {
		m.sim[a] = make([]float64, n)
		m.shared[a] = make([]int32, n)
		for b := range n {
			m.shared[a][b] = -1
			if a == b || norm[a] == 0 || norm[b] == 0 {
				continue
			}
			dot, best := 0.0, 0.0
			for s, wa := range m.w[a] {
				if wb, ok := m.w[b][s]; ok {
					dot += wa * wb
					if p := wa * wb; p > best || p == best && s < m.shared[a][b] {
						best, m.shared[a][b] = p, s
					}
				}
			}
			m.sim[a][b] = dot / (norm[a] * norm[b])
		}
	}
	return m
}

// score returns every disease's score for the symptoms.
func (m *symptomModel) score(symptoms []int32) []float64 {
	sc := make([]float64, len(m.diseases))
	for _, s := range symptoms {
		for _, dw := range m.bySym[s] {
			sc[dw.d] += dw.w
			if m.spread == 0 {
				continue
			}
			for d := range sc {
				if d != dw.d {
					sc[d] += m.spread * dw.w * m.sim[dw.d][d]
				}
			}
		}
	}
	return sc
}

// rank returns disease indices by score, highest first (ties: lower node
// index), leaving out diseases that score 0.
func rank(sc []float64, diseases []int32) []int {
	var order []int
	for d, s := range sc {
		if s > 0 {
			order = append(order, d)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if sc[a] != sc[b] {
			if sc[a] > sc[b] {
				return -1
			}
			return 1
		}
		return int(diseases[a] - diseases[b])
	})
	return order
}

// Suggestion is one disease suggested for a set of symptoms.
type Suggestion struct {
	Disease  Ref      `json:"disease"`
	Score    float64  `json:"score"`
	Symptoms []string `json:"symptoms"` // the input symptoms the disease is linked to directly
	Paths    []Path   `json:"paths"`    // the strongest supporting path for each input symptom that supports it
}

// SuggestReport answers a suggestion request.
type SuggestReport struct {
	Suggestions []Suggestion `json:"suggestions"`
	Resolved    []Ref        `json:"resolved"`
	Unresolved  []string     `json:"unresolved"`
	Method      string       `json:"method"`
}

// SuggestDiseases ranks diseases for symptoms given by name, synonym or
// MeSH id, and explains each with graph paths: "influenza —has symptom→
// fever", or, through a similar disease, "X —has symptom→ cough ←has
// symptom— Y —has symptom→ fever".
func (g *Graph) SuggestDiseases(symptoms []string, limit int) *SuggestReport {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	rep := &SuggestReport{Suggestions: []Suggestion{}, Resolved: []Ref{}, Unresolved: []string{},
		Method: "sum of the disease's has_symptom tf-idf weights to the symptoms, its weights scaled to unit length"}
	var ids []int32
	for _, s := range symptoms {
		i := g.resolveSymptom(s)
		if i < 0 {
			rep.Unresolved = append(rep.Unresolved, s)
			continue
		}
		rep.Resolved = append(rep.Resolved, g.ref(i))
		if !slices.Contains(ids, i) {
			ids = append(ids, i)
		}
	}
	if len(ids) == 0 {
		return rep
	}
	m := g.symptoms()
	sc := m.score(ids)
	for _, d := range rank(sc, m.diseases) {
		if len(rep.Suggestions) == limit {
			break
		}
		rep.Suggestions = append(rep.Suggestions, g.explain(m, d, sc[d], ids))
	}
	return rep
}

// symptoms returns the graph's symptom model, built once.
func (g *Graph) symptoms() *symptomModel {
	g.symOnce.Do(func() { g.symModel = newSymptomModel(g.symptomEdges(), DefaultSpread) })
	return g.symModel
}

// resolveSymptom finds a Symptom by MeSH id, name or synonym (typos
// allowed), or returns -1.
func (g *Graph) resolveSymptom(s string) int32 {
	t := strings.TrimSpace(s)
	if i, ok := g.ids["MESH:"+strings.TrimPrefix(t, "MESH:")]; ok && g.nodes[i].Type == TypeSymptom {
		return i
	}
	hits := g.Search(t, SearchOptions{Types: []string{TypeSymptom}, Limit: 1})
	if len(hits) == 0 || hits[0].Match == MatchPrefix && !strings.HasPrefix(hits[0].Matched, fold(t)+" ") {
		return -1
	}
	return g.ids[hits[0].ID]
}

// explain builds a suggestion with the best path for each supporting
// symptom.
func (g *Graph) explain(m *symptomModel, d int, score float64, symptoms []int32) Suggestion {
	disease := m.diseases[d]
	sg := Suggestion{Disease: g.ref(disease), Score: math.Round(score*1000) / 1000, Symptoms: []string{}, Paths: []Path{}}
	for _, s := range symptoms {
		if _, ok := m.w[d][s]; ok {
			sg.Symptoms = append(sg.Symptoms, g.nodes[s].Name)
			if ei := g.edgeBetween(disease, s, EdgeHasSymptom); ei >= 0 {
				sg.Paths = append(sg.Paths, g.path(walk{nodes: []int32{disease, s}, edges: []int32{ei}}))
			}
			continue
		}
		// Through the most similar disease linked to s.
		best, bestV := -1, 0.0
		for _, dw := range m.bySym[s] {
			if v := dw.w * m.sim[dw.d][d]; v > bestV && m.shared[d][dw.d] >= 0 {
				best, bestV = dw.d, v
			}
		}
		if best < 0 {
			continue
		}
		other, via := m.diseases[best], m.shared[d][best]
		e1, e2, e3 := g.edgeBetween(disease, via, EdgeHasSymptom), g.edgeBetween(other, via, EdgeHasSymptom), g.edgeBetween(other, s, EdgeHasSymptom)
		if e1 >= 0 && e2 >= 0 && e3 >= 0 {
			sg.Paths = append(sg.Paths, g.path(walk{nodes: []int32{disease, via, other, s}, edges: []int32{e1, e2, e3}}))
		}
	}
	return sg
}

// edgeBetween returns an edge of type typ from a to b, or -1.
func (g *Graph) edgeBetween(a, b int32, typ string) int32 {
	for _, ei := range g.out[a] {
		if e := &g.edges[ei]; e.to == b && e.typ == typ {
			return ei
		}
	}
	return -1
}

// SuggestEval is the result of EvaluateSuggestions.
type SuggestEval struct {
	Seed        uint64             `json:"seed"`
	HiddenShare float64            `json:"hidden_share"`
	Edges       int                `json:"edges"`
	Diseases    int                `json:"diseases"`
	TestQueries int                `json:"test_queries"`
	ValQueries  int                `json:"validation_queries"`
	Spread      map[string]float64 `json:"spread"` // chosen on validation, per query kind
	// Recall@10 on the test queries, by method and query kind: "hidden"
	// queries hold only symptoms whose edges were hidden; "mixed" ones
	// half hidden, half still linked.
	Recall map[string]float64 `json:"recall_at_10"`
	// ValRecall is recall@10 on validation (hidden queries) per spread tried.
	ValRecall map[string]float64 `json:"validation_recall_at_10"`
}

// EvaluateSuggestions measures SuggestDiseases' ranking: it hides share of
// the has_symptom edges of every disease with at least 5 (half for
// validation, half for test, drawn with seed), builds the model on the
// rest, and asks for each disease with hidden edges: do its hidden
// symptoms (and, for mixed queries, as many of its known ones) put it in
// the top 10? Spread is chosen on validation; the frequency baseline ranks
// diseases by how many symptom edges they have.
func (g *Graph) EvaluateSuggestions(seed uint64, share float64) (*SuggestEval, error) {
	if share <= 0 || share >= 1 {
		return nil, fmt.Errorf("kg: hidden share must be between 0 and 1")
	}
	edges := g.symptomEdges()
	if len(edges) == 0 {
		return nil, fmt.Errorf("kg: the graph has no has_symptom edges")
	}
	rng := rand.New(rand.NewPCG(seed, 0x6b67))
	byDisease := map[int32][]symptomEdge{}
	var order []int32
	for _, e := range edges {
		if _, ok := byDisease[e.disease]; !ok {
			order = append(order, e.disease)
		}
		byDisease[e.disease] = append(byDisease[e.disease], e)
	}
	var train []symptomEdge
	val, test := map[int32][]int32{}, map[int32][]int32{}
	known := map[int32][]int32{}
	for _, d := range order {
		es := byDisease[d]
		rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
		h := int(math.Round(share * float64(len(es))))
		if len(es) < 5 || h < 2 {
			train = append(train, es...)
			continue
		}
		// Hidden edges are drawn at random; within the hidden and the
		// known ones, queries take the most characteristic symptoms
		// (highest weight) first, as a patient with d would present them.
		slices.SortStableFunc(es[:h/2], byWeight)
		slices.SortStableFunc(es[h/2:h], byWeight)
		slices.SortStableFunc(es[h:], byWeight)
		for i, e := range es {
			switch {
			case i < h/2:
				val[d] = append(val[d], e.symptom)
			case i < h:
				test[d] = append(test[d], e.symptom)
			default:
				train = append(train, e)
				known[d] = append(known[d], e.symptom)
			}
		}
	}
	ev := &SuggestEval{Seed: seed, HiddenShare: share, Edges: len(edges), Diseases: len(order),
		Recall: map[string]float64{}, ValRecall: map[string]float64{}}
	// Test: the validation edges are known then.
	withVal := slices.Clone(train)
	for d, ss := range val {
		for _, s := range ss {
			for _, e := range byDisease[d] {
				if e.symptom == s {
					withVal = append(withVal, e)
				}
			}
		}
	}
	ev.Spread = map[string]float64{}
	for _, kind := range []struct {
		name  string
		known map[int32][]int32
	}{{"hidden", nil}, {"mixed", known}} {
		// Validation: the model sees only train edges.
		bestSpread, bestRecall := 0.0, -1.0
		for _, sp := range []float64{0, 0.05, 0.1, 0.25, 0.5, 1, 2} {
			r, n := recallAt10(newSymptomModel(train, sp), val, kind.known, 5)
			ev.ValRecall[fmt.Sprintf("%s, spread=%g", kind.name, sp)] = r
			ev.ValQueries = n
			if r > bestRecall {
				bestSpread, bestRecall = sp, r
			}
		}
		ev.Spread[kind.name] = bestSpread
		ev.Recall["graph, "+kind.name], ev.TestQueries = recallAt10(newSymptomModel(withVal, bestSpread), test, kind.known, 5)
		ev.Recall["direct edges only, "+kind.name], _ = recallAt10(newSymptomModel(withVal, 0), test, kind.known, 5)
	}
	m := newSymptomModel(withVal, 0)
	ev.Recall["frequency baseline"] = frequencyRecall(m, test)
	return ev, nil
}

// byWeight orders symptom edges by weight, highest first.
func byWeight(a, b symptomEdge) int {
	switch {
	case a.weight > b.weight:
		return -1
	case a.weight < b.weight:
		return 1
	}
	return int(a.symptom - b.symptom)
}

// recallAt10 asks, for each disease with hidden symptoms, whether the
// hidden symptoms (at most max, plus as many known ones if known is set)
// rank it in the top 10.
func recallAt10(m *symptomModel, hidden, known map[int32][]int32, max int) (float64, int) {
	hit, n := 0, 0
	for _, d := range sortedKeys(hidden) {
		q := hidden[d]
		if len(q) > max {
			q = q[:max]
		}
		if known != nil {
			k := known[d]
			q = append(slices.Clone(q), k[:min(len(k), len(q))]...)
		}
		n++
		top := rank(m.score(q), m.diseases)
		for _, t := range top[:min(10, len(top))] {
			if m.diseases[t] == d {
				hit++
				break
			}
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(hit) / float64(n), n
}

// frequencyRecall is recall@10 of ranking diseases by their number of
// symptom edges, whatever the symptoms.
func frequencyRecall(m *symptomModel, hidden map[int32][]int32) float64 {
	order := make([]int, len(m.diseases))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if m.freq[a] != m.freq[b] {
			if m.freq[a] > m.freq[b] {
				return -1
			}
			return 1
		}
		return int(m.diseases[a] - m.diseases[b])
	})
	top := map[int32]bool{}
	for _, d := range order[:min(10, len(order))] {
		top[m.diseases[d]] = true
	}
	hit := 0
	for d := range hidden {
		if top[d] {
			hit++
		}
	}
	if len(hidden) == 0 {
		return 0
	}
	return float64(hit) / float64(len(hidden))
}

func sortedKeys(m map[int32][]int32) []int32 {
	ks := make([]int32, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
