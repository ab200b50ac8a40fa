package kg

import (
	"context"
	"regexp"
)

var (
	icd10Pattern = regexp.MustCompile(`^[A-Z][0-9][0-9A-Z]{1,5}$`)
	icd9Pattern  = regexp.MustCompile(`^[0-9EV][0-9]{1,4}$`)
)

// readICD10CM reads the ICD-10-CM 2019 code list; each code is_a its
// longest proper prefix that is a code.
func readICD10CM(ctx context.Context, dir string, b *builder) error {
	const file = "icd10cm2019.csv.gz"
	var codes []string
	err := readTable(ctx, b, dir, file, ',', []string{"code", "billable", "short_desc", "long_desc", "sub_chapter", "chapter"}, func(r row) error {
		code := r.get("code")
		if !icd10Pattern.MatchString(code) {
			b.rep.drop(file, r.Line, "malformed ICD-10-CM code")
			return nil
		}
		if b.has("ICD10CM:" + code) {
			b.rep.drop(file, r.Line, "duplicate code")
			return nil
		}
		codes = append(codes, code)
		n := b.node("ICD10CM:"+code, TypeICDCode, r.get("long_desc"), r.get("short_desc"))
		n.Attrs = append(n.Attrs, text("billable", r.get("billable")), text("chapter", r.get("chapter")), text("sub_chapter", r.get("sub_chapter")))
		return nil
	})
	if err != nil {
		return err
	}
	linkPrefixes(b, "ICD10CM:", codes, 3)
	return nil
}

// linkPrefixes adds code -is_a-> the longest proper prefix (at least
// minLen long) that is itself a code.
func linkPrefixes(b *builder, prefix string, codes []string, minLen int) {
	for _, c := range codes {
		for l := len(c) - 1; l >= minLen; l-- {
			if b.has(prefix + c[:l]) {
				b.edgeOnce(prefix+c, EdgeIsA, prefix+c[:l])
				break
			}
		}
	}
}

// readMIMICICD9 reads the ICD-9-CM dictionaries of the MIMIC-III demo:
// diagnoses (ICD9CM:) and procedures (ICD9PCS:).
func readMIMICICD9(ctx context.Context, dir string, b *builder) error {
	for _, d := range []struct{ file, prefix, typ string }{
		{"D_ICD_DIAGNOSES.csv", "ICD9CM:", TypeICDCode},
		{"D_ICD_PROCEDURES.csv", "ICD9PCS:", TypeProcedure},
	} {
		var codes []string
		err := readTable(ctx, b, dir, d.file, ',', []string{"ICD9_CODE", "SHORT_TITLE", "LONG_TITLE"}, func(r row) error {
			code := r.get("ICD9_CODE")
			if !icd9Pattern.MatchString(code) {
				b.rep.drop(d.file, r.Line, "malformed ICD-9 code")
				return nil
			}
			if b.has(d.prefix + code) {
				b.rep.drop(d.file, r.Line, "duplicate code")
				return nil
			}
			codes = append(codes, code)
			b.node(d.prefix+code, d.typ, r.get("LONG_TITLE"), r.get("SHORT_TITLE"))
			return nil
		})
		if err != nil {
			return err
		}
		linkPrefixes(b, d.prefix, codes, 3)
	}
	return nil
}
