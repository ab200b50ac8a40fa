package kg

import (
	"regexp"
	"slices"
	"strings"
)

// Resolved is one input name and the drug it was taken to mean.
type Resolved struct {
	Input string `json:"input"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	Match string `json:"match"` // how: "DrugBank id", "ATC code", "RxNorm ingredient", "exact name", "exact synonym", "prefix", "typo"
}

// Finding is what one data set says about an interacting pair.
type Finding struct {
	Description    string `json:"description"`
	Mechanism      string `json:"mechanism,omitempty"`
	Severity       string `json:"severity,omitempty"`        // common scale: contraindicated, major, moderate, minor
	SourceSeverity string `json:"source_severity,omitempty"` // as the data set grades it
	Dataset        string `json:"dataset"`
	Source         string `json:"source"`
	License        string `json:"license"`
}

// Interaction is one interacting pair of the drugs checked.
type Interaction struct {
	Drugs    [2]Ref    `json:"drugs"`
	Severity string    `json:"severity"` // the most serious finding's, or "not graded"
	Findings []Finding `json:"findings"`
	Path     string    `json:"path"`
}

// InteractionReport answers an interaction check.
type InteractionReport struct {
	Interactions []Interaction `json:"interactions"`
	Resolved     []Resolved    `json:"resolved"`
	Unresolved   []string      `json:"unresolved"`
}

// NotGraded is the severity of a pair no data set grades.
const NotGraded = "not graded"

var (
	bareDrugBank = regexp.MustCompile(`^(?i:(drugbank:)?)(DB[0-9]{5})$`)
	rxnormCode   = regexp.MustCompile(`^(?i:(rxnorm:)?)([0-9]{1,10})$`)
)

// ResolveDrug finds the drugs a clinician's input names: a DrugBank id, an
// ATC code, an RxNorm code (its ingredients), or a name or synonym in any
// case ("aspirin" is acetylsalicylic acid). Among equal name matches the
// drug with the most interaction data wins. It returns nil if nothing fits.
func (g *Graph) ResolveDrug(input string) []Resolved {
	in := strings.TrimSpace(input)
	if m := bareDrugBank.FindStringSubmatch(in); m != nil {
		if i, ok := g.ids["DrugBank:"+strings.ToUpper(m[2])]; ok {
			return []Resolved{g.resolved(input, i, "DrugBank id")}
		}
		return nil
	}
	if code := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(in, "ATC:"), "atc:")); atc5Pattern.MatchString(code) {
		if i, ok := g.ids["ATC:"+code]; ok {
			if d := g.bestDrug(g.drugsInClass(i)); d >= 0 {
				return []Resolved{g.resolved(input, d, "ATC code")}
			}
		}
		return nil
	}
	if m := rxnormCode.FindStringSubmatch(in); m != nil {
		i, ok := g.ids["RxNorm:"+m[2]]
		if !ok {
			return nil
		}
		var out []Resolved
		for _, ei := range g.out[i] {
			if e := &g.edges[ei]; e.typ == EdgeHasIngredient {
				out = append(out, g.resolved(input, e.to, "RxNorm ingredient"))
			}
		}
		return out
	}
	return g.resolveName(input)
}

func (g *Graph) resolved(input string, i int32, match string) Resolved {
	return Resolved{Input: input, ID: g.nodes[i].ID, Name: g.nodes[i].Name, Match: match}
}

// resolveName matches a drug name: exact name or synonym first, then an
// ATC substance name, then a whole-word prefix, then a typo.
func (g *Graph) resolveName(input string) []Resolved {
	q := fold(input)
	if q == "" {
		return nil
	}
	hits := g.Search(q, SearchOptions{Types: []string{TypeDrug, TypeATCClass}, Limit: 50, NoTypos: true})
	// Candidates by how they match, best first: a drug's own name or
	// synonym, an ATC substance name (the drugs in that class), a
	// whole-word prefix of a drug name ("lithium" -> "lithium cation").
	var exact, atc, prefix []int32
	matchOf := map[int32]string{} // for exact hits
	add := func(set *[]int32, d int32, match string) {
		*set = append(*set, d)
		if _, ok := matchOf[d]; !ok && set == &exact {
			matchOf[d] = match
		}
	}
	for _, h := range hits {
		i := g.ids[h.ID]
		exactHit := h.Match == MatchExactName || h.Match == MatchExactSynonym
		switch {
		case h.Type == TypeATCClass && exactHit && len(h.ID) == len("ATC:")+7:
			for _, d := range g.drugsInClass(i) {
				add(&atc, d, "ATC substance name")
			}
		case h.Type == TypeDrug && exactHit:
			add(&exact, i, h.Match)
		case h.Type == TypeDrug && h.Match == MatchPrefix && strings.HasPrefix(h.Matched, q+" "):
			add(&prefix, i, MatchPrefix)
		}
	}
	if d := g.bestDrug(exact); d >= 0 {
		return []Resolved{g.resolved(input, d, matchOf[d])}
	}
	if d := g.bestDrug(atc); d >= 0 {
		return []Resolved{g.resolved(input, d, "ATC substance name")}
	}
	if d := g.bestDrug(prefix); d >= 0 {
		return []Resolved{g.resolved(input, d, MatchPrefix)}
	}
	// A typo: take the best drug hit within the edit distance allowed.
	for _, h := range g.Search(q, SearchOptions{Types: []string{TypeDrug}, Limit: 5}) {
		if h.Match == MatchTypo && h.Type == TypeDrug {
			return []Resolved{g.resolved(input, g.ids[h.ID], MatchTypo)}
		}
	}
	return nil
}

// drugsInClass returns the drugs in an ATC class.
func (g *Graph) drugsInClass(i int32) []int32 {
	var out []int32
	for _, ei := range g.in[i] {
		if e := &g.edges[ei]; e.typ == EdgeInATC {
			out = append(out, e.from)
		}
	}
	return out
}

// bestDrug returns the drug with the most interaction edges (ties: the
// lower id), or -1.
func (g *Graph) bestDrug(ds []int32) int32 {
	best, bestN := int32(-1), -1
	for _, d := range ds {
		n := g.interactionCount(d)
		if n > bestN || n == bestN && g.nodes[d].ID < g.nodes[best].ID {
			best, bestN = d, n
		}
	}
	return best
}

func (g *Graph) interactionCount(i int32) int {
	n := 0
	for _, list := range [2][]int32{g.out[i], g.in[i]} {
		for _, ei := range list {
			if g.edges[ei].typ == EdgeInteracts {
				n++
			}
		}
	}
	return n
}

// Interactions checks a list of drugs: it resolves each input and returns
// every pair with an interaction edge, most serious first, with every data
// set's finding. Inputs that match no drug are listed as unresolved.
func (g *Graph) Interactions(inputs []string) *InteractionReport {
	rep := &InteractionReport{Interactions: []Interaction{}, Resolved: []Resolved{}, Unresolved: []string{}}
	var drugs []int32
	for _, in := range inputs {
		rs := g.ResolveDrug(in)
		if len(rs) == 0 {
			rep.Unresolved = append(rep.Unresolved, in)
			continue
		}
		for _, r := range rs {
			rep.Resolved = append(rep.Resolved, r)
			if d := g.ids[r.ID]; !slices.Contains(drugs, d) {
				drugs = append(drugs, d)
			}
		}
	}
	for i := 0; i < len(drugs); i++ {
		for j := i + 1; j < len(drugs); j++ {
			if it, ok := g.pair(drugs[i], drugs[j]); ok {
				rep.Interactions = append(rep.Interactions, it)
			}
		}
	}
	slices.SortStableFunc(rep.Interactions, func(a, b Interaction) int { return SeverityRank(b.Severity) - SeverityRank(a.Severity) })
	return rep
}

// pair collects the interaction edges between a and b, in both directions.
func (g *Graph) pair(a, b int32) (Interaction, bool) {
	// Walk the shorter edge lists.
	x, y := a, b
	if len(g.out[x])+len(g.in[x]) > len(g.out[y])+len(g.in[y]) {
		x, y = y, x
	}
	var edges []int32
	for _, ei := range g.out[x] {
		if e := &g.edges[ei]; e.typ == EdgeInteracts && e.to == y {
			edges = append(edges, ei)
		}
	}
	for _, ei := range g.in[x] {
		if e := &g.edges[ei]; e.typ == EdgeInteracts && e.from == y {
			edges = append(edges, ei)
		}
	}
	if len(edges) == 0 {
		return Interaction{}, false
	}
	it := Interaction{Drugs: [2]Ref{g.ref(a), g.ref(b)}, Severity: NotGraded}
	best := edges[0]
	seen := map[string]bool{}
	for _, ei := range edges {
		e := &g.edges[ei]
		// A data set that states the pair in both directions, with the
		// same grade and text, is one finding.
		key := AttrText(e.attrs, "dataset") + "\x00" + AttrText(e.attrs, "severity") + "\x00" +
			AttrText(e.attrs, "source_severity") + "\x00" + AttrText(e.attrs, "description") + "\x00" + AttrText(e.attrs, "interaction_type")
		if seen[key] {
			continue
		}
		seen[key] = true
		f := Finding{
			Description:    g.describe(ei),
			Mechanism:      AttrText(e.attrs, "mechanism"),
			Severity:       AttrText(e.attrs, "severity"),
			SourceSeverity: AttrText(e.attrs, "source_severity"),
			Dataset:        AttrText(e.attrs, "dataset"),
			Source:         e.source,
			License:        g.licenses[e.source],
		}
		if SeverityRank(f.Severity) > SeverityRank(it.Severity) {
			it.Severity, best = f.Severity, ei
		}
		it.Findings = append(it.Findings, f)
	}
	slices.SortStableFunc(it.Findings, func(p, q Finding) int { return SeverityRank(q.Severity) - SeverityRank(p.Severity) })
	r := g.relation(best)
	it.Path = r.Text()
	return it, true
}

// describe renders an interaction edge's description with the drug names:
// DDI templates name the edge's start #Drug1 and its end #Drug2.
func (g *Graph) describe(ei int32) string {
	e := &g.edges[ei]
	d := AttrText(e.attrs, "description")
	from, to := g.nodes[e.from].Name, g.nodes[e.to].Name
	if d == "" {
		return from + " interacts with " + to
	}
	return strings.NewReplacer("#Drug1", from, "#Drug2", to).Replace(d)
}
