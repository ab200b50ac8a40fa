package kg

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// doidPattern is a Disease Ontology id.
var doidPattern = regexp.MustCompile(`^DOID:[0-9]+$`)

// xrefPrefixes maps DO xref prefixes to the graph's vocabulary prefixes and
// the node type their targets get. Other xrefs (OMIM, NCI, ...) name
// vocabularies the graph does not hold and are left out.
var xrefPrefixes = map[string]struct{ prefix, typ string }{
	"ICD10CM":             {"ICD10CM:", TypeICDCode},
	"ICD9CM":              {"ICD9CM:", TypeICDCode},
	"MSH":                 {"MESH:", TypeConcept},
	"UMLS_CUI":            {"UMLS:", TypeConcept},
	"SNOMEDCT_2010_1_31":  {"SNOMEDCT:", TypeConcept},
	"SNOMEDCT_2013_01_31": {"SNOMEDCT:", TypeConcept},
	"SNOMEDCT":            {"SNOMEDCT:", TypeConcept},
}

// xrefID returns the graph id of a DO xref ("ICD10CM:C49.9" ->
// "ICD10CM:C499") and its node type, or "" for a vocabulary not held.
func xrefID(x string) (string, string) {
	pre, code, ok := strings.Cut(x, ":")
	p, known := xrefPrefixes[pre]
	if !ok || !known || code == "" {
		return "", ""
	}
	if p.prefix == "ICD10CM:" || p.prefix == "ICD9CM:" {
		code = strings.ReplaceAll(code, ".", "")
	}
	return p.prefix + code, p.typ
}

// readDiseaseOntology reads HumanDO.obo (diseases, is_a, xrefs) and
// slim-terms.tsv (the Hetionet disease slim, as attributes).
func readDiseaseOntology(ctx context.Context, dir string, b *builder) error {
	const file = "HumanDO.obo"
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	defer f.Close()
	terms, problems, err := ParseOBO(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, p := range problems {
		b.rep.drop(file, p.Line, p.Reason)
	}
	b.rep.RowsRead += len(terms) + len(problems)
	live := map[string]bool{}
	for _, t := range terms {
		switch {
		case t.Obsolete:
			b.rep.drop(file, t.Line, "obsolete term")
		case !doidPattern.MatchString(t.ID):
			b.rep.drop(file, t.Line, "id is not a DOID")
		default:
			live[t.ID] = true
		}
	}
	for _, t := range terms {
		if !live[t.ID] {
			continue
		}
		var syn []string
		for _, s := range t.Synonyms {
			if s.Scope == "EXACT" {
				syn = append(syn, s.Text)
			}
		}
		n := b.node(t.ID, TypeDisease, t.Name, syn...)
		if t.Def != "" {
			n.Attrs = append(n.Attrs, text("definition", t.Def))
		}
		if len(t.AltIDs) > 0 {
			n.Attrs = append(n.Attrs, text("alt_ids", strings.Join(t.AltIDs, " ")))
		}
	}
	for _, t := range terms {
		if !live[t.ID] {
			continue
		}
		for _, p := range t.IsA {
			if !live[p] {
				b.rep.drop(file, t.Line, "is_a names an obsolete or unknown term")
				continue
			}
			b.edgeOnce(t.ID, EdgeIsA, p)
		}
		for _, x := range t.Xrefs {
			id, typ := xrefID(x)
			if id == "" {
				continue
			}
			b.node(id, typ, "")
			b.edgeOnce(t.ID, EdgeXref, id)
		}
	}
	return readTable(ctx, b, dir, "slim-terms.tsv", '\t', []string{"doid", "name", "source", "pathophysiology"}, func(r row) error {
		id := r.get("doid")
		if !b.has(id) {
			b.rep.drop("slim-terms.tsv", r.Line, "DOID not in HumanDO.obo")
			return nil
		}
		n := b.node(id, TypeDisease, "")
		n.Attrs = append(n.Attrs, text("slim", r.get("source")), text("pathophysiology", r.get("pathophysiology")))
		return nil
	})
}

// readPharmacotherapyDB reads the curated indications: treats (DM),
// palliates (SYM) and not_indicated (NOT).
func readPharmacotherapyDB(ctx context.Context, dir string, b *builder) error {
	const file = "indications.tsv"
	kinds := map[string]string{"DM": EdgeTreats, "SYM": EdgePalliates, "NOT": EdgeNotIndicated}
	return readTable(ctx, b, dir, file, '\t', []string{"doid_id", "drugbank_id", "disease", "drug", "category", "n_curators", "n_resources"}, func(r row) error {
		doid, db := r.get("doid_id"), r.get("drugbank_id")
		kind, ok := kinds[r.get("category")]
		switch {
		case !doidPattern.MatchString(doid):
			b.rep.drop(file, r.Line, "bad DOID")
			return nil
		case !drugbankPattern.MatchString(db):
			b.rep.drop(file, r.Line, "bad DrugBank id")
			return nil
		case !ok:
			b.rep.drop(file, r.Line, "category is not DM, SYM or NOT")
			return nil
		}
		curators, err1 := strconv.Atoi(r.get("n_curators"))
		resources, err2 := strconv.Atoi(r.get("n_resources"))
		if err1 != nil || err2 != nil {
			b.rep.drop(file, r.Line, "n_curators or n_resources is not a number")
			return nil
		}
		b.node("DrugBank:"+db, TypeDrug, r.get("drug"))
		b.node(doid, TypeDisease, r.get("disease"))
		b.edgeOnce("DrugBank:"+db, kind, doid, num("curators", float64(curators), ""), num("resources", float64(resources), ""))
		return nil
	})
}

// meshPattern is a MeSH descriptor id.
var meshPattern = regexp.MustCompile(`^D[0-9]{6,9}$`)

// readHSDN reads the symptom-disease network: Disease -has_symptom->
// Symptom, weighted by TF-IDF, with the co-occurrence count.
func readHSDN(ctx context.Context, dir string, b *builder) error {
	const file = "symptoms-DO.tsv"
	return readTable(ctx, b, dir, file, '\t', []string{"symptom_name", "disease_name", "cooccurs", "tfidf_score", "disease_id", "symptom_id", "doid_code", "doid_name"}, func(r row) error {
		doid, sym, dis := r.get("doid_code"), r.get("symptom_id"), r.get("disease_id")
		co, err1 := strconv.Atoi(r.get("cooccurs"))
		w, err2 := strconv.ParseFloat(r.get("tfidf_score"), 64)
		switch {
		case !doidPattern.MatchString(doid):
			b.rep.drop(file, r.Line, "bad DOID")
			return nil
		case !meshPattern.MatchString(sym) || !meshPattern.MatchString(dis):
			b.rep.drop(file, r.Line, "bad MeSH id")
			return nil
		case err1 != nil || err2 != nil || co < 0 || w < 0 || w != w:
			b.rep.drop(file, r.Line, "cooccurs or tfidf_score is not a non-negative number")
			return nil
		}
		b.node(doid, TypeDisease, r.get("doid_name"))
		b.node("MESH:"+sym, TypeSymptom, r.get("symptom_name"))
		b.node("MESH:"+dis, TypeConcept, r.get("disease_name"))
		key := doid + " " + sym
		if e := b.edgeKeyed(key, doid, EdgeHasSymptom, "MESH:"+sym, num("weight", w, "tf-idf"), num("cooccurs", float64(co), "articles")); e != nil {
			// Two MeSH diseases map to this DOID: keep the larger weight
			// and add the co-occurrences.
			b.rep.repaired("disease-symptom pair seen twice (two MeSH diseases map to one DOID): merged, larger weight kept")
			for i := range e.Attrs {
				switch e.Attrs[i].Name {
				case "weight":
					e.Attrs[i].Num = max(e.Attrs[i].Num, w)
				case "cooccurs":
					e.Attrs[i].Num += float64(co)
				}
			}
		}
		b.edgeOnce(doid, EdgeXref, "MESH:"+dis)
		return nil
	})
}
