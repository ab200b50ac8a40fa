package kg

import (
	"context"
	"regexp"
	"strconv"
	"strings"
)

var (
	drugbankPattern = regexp.MustCompile(`^DB[0-9]{5}$`)
	atc5Pattern     = regexp.MustCompile(`^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$`)
	atcPattern      = regexp.MustCompile(`^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$`)
)

// splitList splits a sep-separated list, dropping empty items.
func splitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// readDrugBankVocabulary reads DrugBank's open vocabulary: names,
// synonyms, CAS, UNII and InChIKey per DrugBank id.
func readDrugBankVocabulary(ctx context.Context, dir string, b *builder) error {
	const file = "drugbank_vocabulary.csv"
	return readTable(ctx, b, dir, file, ',', []string{"DrugBank ID", "Accession Numbers", "Common name", "CAS", "UNII", "Synonyms", "Standard InChI Key"}, func(r row) error {
		id := r.get("DrugBank ID")
		if !drugbankPattern.MatchString(id) {
			b.rep.drop(file, r.Line, "bad DrugBank id")
			return nil
		}
		name := r.get("Common name")
		if name == "" {
			b.rep.drop(file, r.Line, "no common name")
			return nil
		}
		n := b.node("DrugBank:"+id, TypeDrug, name, splitList(r.get("Synonyms"), "|")...)
		for _, a := range []struct{ attr, col string }{{"accessions", "Accession Numbers"}, {"cas", "CAS"}, {"unii", "UNII"}, {"inchikey", "Standard InChI Key"}} {
			if v := r.get(a.col); v != "" {
				n.Attrs = append(n.Attrs, text(a.attr, v))
			}
		}
		return nil
	})
}

// readDrugBankATC reads the DrugBank 4.2 drug table: type, groups,
// categories, description and the drug's ATC codes (Drug -in_atc_class->
// ATCClass).
func readDrugBankATC(ctx context.Context, dir string, b *builder) error {
	const file = "drugbank.tsv"
	return readTable(ctx, b, dir, file, '\t', []string{"drugbank_id", "name", "type", "groups", "atc_codes", "categories", "description"}, func(r row) error {
		id := r.get("drugbank_id")
		if !drugbankPattern.MatchString(id) {
			b.rep.drop(file, r.Line, "bad DrugBank id")
			return nil
		}
		n := b.node("DrugBank:"+id, TypeDrug, r.get("name"))
		for _, col := range []string{"type", "groups", "categories", "description"} {
			if v := r.get(col); v != "" {
				n.Attrs = append(n.Attrs, text(col, v))
			}
		}
		for _, code := range splitList(r.get("atc_codes"), "|") {
			if !atc5Pattern.MatchString(code) {
				b.rep.drop(file, r.Line, "malformed ATC code left out")
				continue
			}
			b.node("ATC:"+code, TypeATCClass, "")
			b.edgeOnce("DrugBank:"+id, EdgeInATC, "ATC:"+code)
		}
		return nil
	})
}

// readDrugBankDDI reads the 86-type DrugBank interaction set: Drug
// -interacts_with-> Drug with the interaction type and its description
// template (#Drug1 is the edge's start, #Drug2 its end), and SMILES.
func readDrugBankDDI(ctx context.Context, dir string, b *builder) error {
	type ddiType struct{ desc, group string }
	types := map[int]ddiType{}
	err := readTable(ctx, b, dir, "interaction_types.csv", ',', []string{"Interaction type", "Description", "DDI type"}, func(r row) error {
		t, err := strconv.Atoi(r.get("Interaction type"))
		if err != nil || t < 1 || !strings.Contains(r.get("Description"), "#Drug") {
			b.rep.drop("interaction_types.csv", r.Line, "bad interaction type or description")
			return nil
		}
		types[t] = ddiType{r.get("Description"), r.get("DDI type")}
		return nil
	})
	if err != nil {
		return err
	}
	err = readTable(ctx, b, dir, "ddi_pairs.csv", ',', []string{"d1", "d2", "type"}, func(r row) error {
		d1, d2 := r.get("d1"), r.get("d2")
		t, err := strconv.Atoi(r.get("type"))
		// The pairs number types from 0, the descriptions from 1.
		dt, known := types[t+1]
		switch {
		case !drugbankPattern.MatchString(d1) || !drugbankPattern.MatchString(d2):
			b.rep.drop("ddi_pairs.csv", r.Line, "bad DrugBank id")
			return nil
		case err != nil || !known:
			b.rep.drop("ddi_pairs.csv", r.Line, "unknown interaction type")
			return nil
		case d1 == d2:
			b.rep.drop("ddi_pairs.csv", r.Line, "drug paired with itself")
			return nil
		}
		b.node("DrugBank:"+d1, TypeDrug, "")
		b.node("DrugBank:"+d2, TypeDrug, "")
		b.edge("DrugBank:"+d1, EdgeInteracts, "DrugBank:"+d2, num("interaction_type", float64(t+1), ""),
			text("mechanism", dt.group), text("description", dt.desc), text("dataset", "DrugBank DDI (86 types)"))
		return nil
	})
	if err != nil {
		return err
	}
	return readTable(ctx, b, dir, "drug_smiles.csv", ',', []string{"drug_id", "smiles"}, func(r row) error {
		id := r.get("drug_id")
		if !drugbankPattern.MatchString(id) || r.get("smiles") == "" {
			b.rep.drop("drug_smiles.csv", r.Line, "bad DrugBank id or empty SMILES")
			return nil
		}
		n := b.node("DrugBank:"+id, TypeDrug, "")
		n.Attrs = append(n.Attrs, text("smiles", r.get("smiles")))
		return nil
	})
}

// Severity levels, from most to least serious. Every source's own scale
// is mapped onto these (see normSeverity); the raw value is kept too.
const (
	SeverityContraindicated = "contraindicated"
	SeverityMajor           = "major"
	SeverityModerate        = "moderate"
	SeverityMinor           = "minor"
)

// SeverityRank orders severities: higher is more serious, 0 for unknown.
func SeverityRank(s string) int {
	switch s {
	case SeverityContraindicated:
		return 4
	case SeverityMajor:
		return 3
	case SeverityModerate:
		return 2
	case SeverityMinor:
		return 1
	}
	return 0
}

// normSeverity maps a merged-PDDI source's severity onto the common scale.
// French formulary: CI contre-indication, AD association deconseillee (not
// recommended), PE precaution d'emploi, PC a prendre en compte (take into
// account); NDF-RT Critical / Significant; OSCAR 3 / 2 / 1; ONC high
// priority pairs are major by definition of that list.
func normSeverity(source, raw string) string {
	s := strings.ToLower(strings.Trim(strings.TrimSpace(raw), ":"))
	switch {
	case source == "ONC-HighPriority":
		return SeverityMajor
	case s == "" || s == "none":
		return ""
	case s == "ci" || strings.HasPrefix(s, "contraindication"):
		return SeverityContraindicated
	case s == "ad" || strings.HasPrefix(s, "not recomm") || strings.HasPrefix(s, "nor recommended") || s == "critical" || s == "3" && source == "OSCAR":
		return SeverityMajor
	case s == "pe" || strings.HasPrefix(s, "precaution") || s == "significant" || s == "2" && source == "OSCAR":
		return SeverityModerate
	case s == "pc" || strings.HasPrefix(s, "take into account") || s == "1" && source == "OSCAR":
		return SeverityMinor
	}
	return ""
}

// pddiText returns the first informative text of a merged-PDDI row.
func pddiText(r row) string {
	for _, col := range []string{"effectConcept", "evidenceStatement", "managementOptions"} {
		v := r.get(col)
		if v == "" || v == "None" || v == "Not Available" || len(v) < 4 {
			continue
		}
		return clip(v, 400)
	}
	return ""
}

// readMergedPDDI reads the merged potential DDI set (Ayvaz et al. 2015):
// Drug (precipitant) -interacts_with-> Drug (object) per source data base,
// with the source's severity and its common-scale level. KEGG rows lost
// their source column and the first letter of their names: they are
// repaired from their DrugBank ids and KEGG URI. Their continuation rows
// (drug2 = "Kegg", no ids) and rows without DrugBank ids are dropped.
func readMergedPDDI(ctx context.Context, dir string, b *builder) error {
	const file = "postprocessed-dataset-not-conservative.tsv.bz2"
	need := []string{"drug1ID", "drug2ID", "object", "precipitant", "drug2", "source", "severity", "uri", "effectConcept", "evidenceStatement", "managementOptions"}
	return readTable(ctx, b, dir, file, '\t', need, func(r row) error {
		obj, pre := r.get("drug1ID"), r.get("drug2ID")
		src := r.get("source")
		kegg := src == "" && strings.Contains(r.get("uri"), "kegg.jp")
		switch {
		case src == "" && r.get("drug2") == "Kegg":
			b.rep.drop(file, r.Line, "shifted KEGG continuation row (drug2 = Kegg, no DrugBank ids)")
			return nil
		case src == "" && !kegg:
			b.rep.drop(file, r.Line, "empty source column and no KEGG URI")
			return nil
		case !drugbankPattern.MatchString(obj) || !drugbankPattern.MatchString(pre):
			b.rep.drop(file, r.Line, "no DrugBank id for one of the drugs")
			return nil
		case obj == pre:
			b.rep.drop(file, r.Line, "drug paired with itself")
			return nil
		}
		if kegg {
			src = "KEGG"
			b.rep.repaired("KEGG row with empty source column: source set to KEGG, drugs taken from their DrugBank ids")
		}
		for _, d := range []struct{ id, name string }{{obj, r.get("object")}, {pre, r.get("precipitant")}} {
			if kegg || b.has("DrugBank:"+d.id) || d.name == "None" {
				b.node("DrugBank:"+d.id, TypeDrug, "")
			} else {
				b.node("DrugBank:"+d.id, TypeDrug, d.name)
			}
		}
		raw := r.get("severity")
		if raw == "None" {
			raw = ""
		}
		key := pre + " " + obj + " " + src + " " + raw
		attrs := []Attr{text("dataset", "merged-PDDI: "+src)}
		if raw != "" {
			attrs = append(attrs, text("source_severity", raw))
		}
		if lvl := normSeverity(src, raw); lvl != "" {
			attrs = append(attrs, text("severity", lvl))
		}
		if d := pddiText(r); d != "" {
			attrs = append(attrs, text("description", d))
		}
		if b.edgeKeyed(key, "DrugBank:"+pre, EdgeInteracts, "DrugBank:"+obj, attrs...) != nil {
			b.rep.repaired("row repeats a pair, source and severity already read: merged")
		}
		return nil
	})
}

// readWHOATC reads the WHO ATC classification: every level with its name,
// DDDs as attributes, and is_a to the level above.
func readWHOATC(ctx context.Context, dir string, b *builder) error {
	const file = "who_atc_ddd_2026-04-25.csv"
	levels := map[int]int{1: 1, 3: 2, 4: 3, 5: 4, 7: 5}
	var codes []string
	err := readTable(ctx, b, dir, file, ',', []string{"atc_code", "atc_name", "ddd", "uom", "adm_r"}, func(r row) error {
		code := r.get("atc_code")
		if !atcPattern.MatchString(code) {
			b.rep.drop(file, r.Line, "malformed ATC code")
			return nil
		}
		name := r.get("atc_name")
		if strings.ToUpper(name) == name {
			name = strings.ToLower(name)
		}
		if !b.has("ATC:" + code) {
			codes = append(codes, code)
			n := b.node("ATC:"+code, TypeATCClass, name)
			n.Attrs = append(n.Attrs, num("level", float64(levels[len(code)]), ""))
		}
		if d := r.get("ddd"); d != "NA" && d != "" {
			v, err := strconv.ParseFloat(d, 64)
			if err != nil {
				b.rep.drop(file, r.Line, "DDD is not a number")
				return nil
			}
			n := b.node("ATC:"+code, TypeATCClass, "")
			n.Attrs = append(n.Attrs, Attr{Name: "ddd_" + r.get("adm_r"), Kind: "number", Num: v, Unit: r.get("uom")})
		}
		return nil
	})
	if err != nil {
		return err
	}
	parentLen := map[int]int{3: 1, 4: 3, 5: 4, 7: 5}
	for _, c := range codes {
		if pl, ok := parentLen[len(c)]; ok {
			if !b.has("ATC:" + c[:pl]) {
				b.rep.drop(file, 0, "parent ATC code missing")
				continue
			}
			b.edgeOnce("ATC:"+c, EdgeIsA, "ATC:"+c[:pl])
		}
	}
	return nil
}
