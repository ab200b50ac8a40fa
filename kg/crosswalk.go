package kg

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/galenhealth/galen"
)

// ImportCrosswalk rebuilds the derived cross-walk source from what the
// store holds: Synthea SNOMED CT conditions to DOID (by DO xref, else by
// name) and RxNorm medications to their DrugBank ingredients (by name),
// and measures the match rates between the other vocabularies.
func ImportCrosswalk(ctx context.Context, store galen.KGService, now func() time.Time) (*Report, error) {
	start := time.Now()
	cw := newCrosswalk()
	if _, err := store.ScanKG(ctx, cw.addNode, cw.addEdge); err != nil {
		return nil, fmt.Errorf("crosswalk: read graph: %w", err)
	}
	rep, nodes, edges, err := cw.finish(start)
	if err != nil {
		return nil, err
	}
	if err := store.ReplaceKGSource(ctx, sourceRecord(rep, now), nodes, edges); err != nil {
		return nil, fmt.Errorf("crosswalk: store: %w", err)
	}
	return rep, nil
}

// finish builds the cross-walk source from what was added.
func (c *crosswalk) finish(start time.Time) (*Report, []Node, []Edge, error) {
	rep := &Report{Source: CrosswalkSource, License: "derived from the sources it links"}
	b := newBuilder(CrosswalkSource, rep)
	c.build(b)
	if err := checkEnds(b); err != nil {
		return nil, nil, nil, err
	}
	rep.Nodes, rep.Edges = len(b.nodes), len(b.edges)
	rep.Seconds = time.Since(start).Seconds()
	return rep, b.nodes, b.edges, nil
}

// crosswalk holds what the cross-walk needs from the stored graph.
type crosswalk struct {
	bySource map[string]map[string]bool // source -> node ids
	nodes    map[string]*Node           // first record seen per id, for type and name
	names    map[string][]string        // normalized name or synonym -> ids
	xrefs    map[string][]string        // SNOMEDCT/ICD id -> DOIDs that cite it
	atcOf    map[string][]string        // DrugBank id -> ATC codes (drugbank-4.2-atc)
}

func newCrosswalk() *crosswalk {
	return &crosswalk{bySource: map[string]map[string]bool{}, nodes: map[string]*Node{}, names: map[string][]string{},
		xrefs: map[string][]string{}, atcOf: map[string][]string{}}
}

func (c *crosswalk) addNode(n *Node) error {
	if n.Source == CrosswalkSource {
		return nil
	}
	set := c.bySource[n.Source]
	if set == nil {
		set = map[string]bool{}
		c.bySource[n.Source] = set
	}
	set[n.ID] = true
	if old, ok := c.nodes[n.ID]; !ok || old.Name == "" && n.Name != "" {
		c.nodes[n.ID] = &Node{ID: n.ID, Type: n.Type, Name: n.Name}
	}
	if n.Type == TypeDrug || n.Type == TypeDisease {
		for _, s := range append([]string{n.Name}, n.Synonyms...) {
			if k := normName(s); k != "" && !slices.Contains(c.names[k], n.ID) {
				c.names[k] = append(c.names[k], n.ID)
			}
		}
	}
	return nil
}

func (c *crosswalk) addEdge(e *Edge) error {
	switch {
	case e.Type == EdgeXref && strings.HasPrefix(e.From, "DOID:"):
		c.xrefs[e.To] = append(c.xrefs[e.To], e.From)
	case e.Type == EdgeInATC:
		c.atcOf[e.From] = append(c.atcOf[e.From], e.To)
	}
	return nil
}

// lookup returns the ids of the given prefix whose name or synonym is s.
func (c *crosswalk) lookup(s, prefix string) []string {
	var out []string
	for _, id := range c.names[normName(s)] {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

// link adds a cross-walk edge, with both ends described.
func (c *crosswalk) link(b *builder, from, typ, to, how string) {
	for _, id := range []string{from, to} {
		if n := c.nodes[id]; n != nil {
			b.node(id, n.Type, n.Name)
		}
	}
	b.edgeOnce(from, typ, to, text("matched_by", how))
}

func (c *crosswalk) build(b *builder) {
	c.snomedToDOID(b)
	c.rxnormToDrugBank(b)
	c.icdToDOID(b)
	rates := []struct{ from, to, fromSrc, toSrc, prefix, how string }{
		{"DrugBank DDI-86 drugs", "DrugBank vocabulary", "drugbank-ddi-86", "drugbank-vocabulary", "DrugBank:", "same DrugBank id"},
		{"merged-PDDI drugs", "DrugBank vocabulary", "merged-pddi", "drugbank-vocabulary", "DrugBank:", "same DrugBank id"},
		{"PharmacotherapyDB drugs", "DrugBank vocabulary", "pharmacotherapydb", "drugbank-vocabulary", "DrugBank:", "same DrugBank id"},
		{"DrugBank 4.2 drugs", "DrugBank vocabulary", "drugbank-4.2-atc", "drugbank-vocabulary", "DrugBank:", "same DrugBank id"},
		{"DrugBank 4.2 ATC codes", "WHO ATC 2026", "drugbank-4.2-atc", "who-atc-ddd", "ATC:", "same ATC code"},
		{"PharmacotherapyDB diseases", "Disease Ontology", "pharmacotherapydb", "disease-ontology", "DOID:", "same DOID"},
		{"HSDN diseases", "Disease Ontology", "hsdn-symptom-disease", "disease-ontology", "DOID:", "same DOID"},
		{"DO ICD-10-CM xrefs", "ICD-10-CM 2019", "disease-ontology", "icd10cm-2019", "ICD10CM:", "code without dots"},
		{"DO ICD-9-CM xrefs", "MIMIC-III ICD-9 dictionary", "disease-ontology", "mimic3-demo", "ICD9CM:", "code without dots"},
	}
	for _, r := range rates {
		from, to := c.bySource[r.fromSrc], c.bySource[r.toSrc]
		if from == nil || to == nil {
			continue
		}
		matched, total := 0, 0
		for id := range from {
			if !strings.HasPrefix(id, r.prefix) {
				continue
			}
			total++
			if to[id] {
				matched++
			}
		}
		b.rep.Matches = append(b.rep.Matches, newMatch(r.from, r.to, r.how, matched, total))
	}
	if db := c.bySource["drugbank-4.2-atc"]; db != nil {
		with := 0
		for id := range db {
			if strings.HasPrefix(id, "DrugBank:") && len(c.atcOf[id]) > 0 {
				with++
			}
		}
		for _, src := range []string{"drugbank-ddi-86", "merged-pddi"} {
			matched, total := 0, 0
			for id := range c.bySource[src] {
				if strings.HasPrefix(id, "DrugBank:") {
					total++
					if len(c.atcOf[id]) > 0 {
						matched++
					}
				}
			}
			if total > 0 {
				b.rep.Matches = append(b.rep.Matches, newMatch(src+" drugs", "ATC (via DrugBank 4.2)", "DrugBank id with an ATC code", matched, total))
			}
		}
	}
}

// snomedToDOID links Synthea's SNOMED CT conditions to DOID: by a DO xref
// citing the code, else by name or exact synonym.
func (c *crosswalk) snomedToDOID(b *builder) {
	ids := c.idsOf("synthea-ca-59", "SNOMEDCT:")
	if len(ids) == 0 {
		return
	}
	byCode, byName := 0, 0
	for _, id := range ids {
		if doids := c.xrefs[id]; len(doids) > 0 {
			byCode++
			for _, d := range doids {
				c.link(b, id, EdgeSameAs, d, "DO xref of the SNOMED CT code")
			}
			continue
		}
		if doids := c.lookup(c.nodes[id].Name, "DOID:"); len(doids) > 0 {
			byName++
			for _, d := range doids {
				c.link(b, id, EdgeSameAs, d, "same name")
			}
		}
	}
	b.rep.Matches = append(b.rep.Matches,
		newMatch("Synthea SNOMED CT conditions", "DOID", "DO xref of the code", byCode, len(ids)),
		newMatch("Synthea SNOMED CT conditions", "DOID", "DO xref, else name or exact synonym", byCode+byName, len(ids)))
}

// idsOf returns the sorted ids of a source with a prefix.
func (c *crosswalk) idsOf(source, prefix string) []string {
	var ids []string
	for id := range c.bySource[source] {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// rxnormToDrugBank links each RxNorm medication to the DrugBank drugs
// named as its ingredients.
func (c *crosswalk) rxnormToDrugBank(b *builder) {
	ids := c.idsOf("synthea-ca-59", "RxNorm:")
	if len(ids) == 0 {
		return
	}
	all, some, ingredients, found := 0, 0, 0, 0
	for _, id := range ids {
		ings := Ingredients(c.nodes[id].Name)
		hit := 0
		for _, ing := range ings {
			ingredients++
			if db := c.drugByName(ing); db != "" {
				hit++
				found++
				c.link(b, id, EdgeHasIngredient, db, "ingredient name")
			}
		}
		if hit > 0 {
			some++
		}
		if hit == len(ings) && hit > 0 {
			all++
		}
	}
	b.rep.Matches = append(b.rep.Matches,
		newMatch("Synthea RxNorm medications", "DrugBank", "every ingredient found by name", all, len(ids)),
		newMatch("Synthea RxNorm medications", "DrugBank", "at least one ingredient found by name", some, len(ids)),
		newMatch("Synthea RxNorm ingredients", "DrugBank", "name or synonym, salt words dropped if needed", found, ingredients))
}

// drugByName finds the DrugBank drug named s, dropping trailing salt or
// form words ("metformin hydrochloride" -> "metformin") if needed.
func (c *crosswalk) drugByName(s string) string {
	words := strings.Fields(s)
	for n := len(words); n >= 1; n-- {
		if ids := c.lookup(strings.Join(words[:n], " "), "DrugBank:"); len(ids) > 0 {
			slices.Sort(ids)
			return ids[0]
		}
	}
	return ""
}

// icdToDOID links the ICD codes the DO cites (and the graph holds from
// ICD-10-CM or MIMIC) back to DOID: code -same_as-> DOID.
func (c *crosswalk) icdToDOID(b *builder) {
	for _, src := range []struct{ source, prefix string }{{"icd10cm-2019", "ICD10CM:"}, {"mimic3-demo", "ICD9CM:"}} {
		for _, id := range c.idsOf(src.source, src.prefix) {
			for _, d := range c.xrefs[id] {
				c.link(b, id, EdgeSameAs, d, "DO xref of the code")
			}
		}
	}
}

// Ingredients returns the ingredient names of an RxNorm clinical drug
// name: "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet" ->
// [Amoxicillin Clavulanate]; "24 HR Metformin hydrochloride 500 MG ..." ->
// [Metformin hydrochloride].
func Ingredients(desc string) []string {
	if i := strings.Index(desc, "["); i >= 0 {
		desc = desc[:i]
	}
	var out []string
	for _, part := range strings.Split(desc, " / ") {
		var words []string
		for _, w := range strings.Fields(part) {
			lead := []rune(w)[0]
			if len(words) == 0 && (unicode.IsDigit(lead) || w == "HR" || w == "ML" || w == "MG" || strings.HasPrefix(w, "NDA")) {
				continue // a leading quantity such as "24 HR" or "1 ML"
			}
			if unicode.IsDigit(lead) || w == "MG" || w == "ML" {
				break
			}
			words = append(words, strings.TrimSuffix(w, ","))
		}
		if len(words) > 0 {
			out = append(out, strings.Join(words, " "))
		}
	}
	return out
}
