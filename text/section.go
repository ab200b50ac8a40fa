package text

import (
	"regexp"
	"slices"
	"strings"
)

// Section is one headed part of a note. Name is the canonical name of the
// header ("chief_complaint", "history_of_present_illness", "medications",
// "allergies", "assessment", "plan", ... or "other" for an upper-case
// header not in the list); Header is the header as written. Offsets are
// bytes: the header is text[HeaderStart:HeaderEnd] (without the colon) and
// the body runs from after the colon to the next header or the end.
type Section struct {
	Name                   string
	Header                 string
	HeaderStart, HeaderEnd int
	Start, End             int
}

// canonicalSections maps lower-case headers to canonical section names.
var canonicalSections = func() map[string]string {
	m := map[string]string{}
	for name, hs := range map[string][]string{
		"chief_complaint":            {"chief complaint", "cc", "reason for visit", "reason for consultation", "reason for consult", "reason for referral", "presenting complaint"},
		"history_of_present_illness": {"history of present illness", "hpi", "present illness", "history", "history of the present illness", "interval history"},
		"past_medical_history":       {"past medical history", "pmh", "medical history", "past history"},
		"past_surgical_history":      {"past surgical history", "psh", "surgical history", "previous surgeries"},
		"medications":                {"medications", "medication", "current medications", "meds", "home medications", "discharge medications", "medications on admission", "admission medications", "outpatient medications"},
		"allergies":                  {"allergies", "allergy", "drug allergies", "medication allergies", "nkda"},
		"family_history":             {"family history", "fh"},
		"social_history":             {"social history", "sh"},
		"review_of_systems":          {"review of systems", "ros"},
		"physical_exam":              {"physical examination", "physical exam", "examination", "exam", "pe", "physical findings"},
		"vital_signs":                {"vital signs", "vitals"},
		"labs":                       {"laboratory data", "laboratory", "labs", "laboratory studies", "lab data", "laboratory findings", "diagnostic data", "studies"},
		"assessment":                 {"assessment", "impression", "clinical impression", "assessment/plan", "diagnostic impression"},
		"plan":                       {"plan", "recommendations", "recommendation", "disposition", "treatment plan"},
		"assessment_and_plan":        {"assessment and plan", "impression and plan", "a/p"},
		"diagnosis":                  {"diagnosis", "diagnoses", "preoperative diagnosis", "postoperative diagnosis", "pre-operative diagnosis", "post-operative diagnosis", "final diagnosis", "discharge diagnosis", "admitting diagnosis", "discharge diagnoses", "preoperative diagnoses", "postoperative diagnoses"},
		"procedure":                  {"procedure", "procedures", "procedure performed", "operation", "operation performed", "procedure in detail", "description of procedure", "details of procedure", "description of operation", "name of procedure", "title of operation"},
		"indications":                {"indication", "indications", "indication for procedure", "indications for procedure", "indications for operation"},
		"findings":                   {"findings", "operative findings"},
		"anesthesia":                 {"anesthesia", "type of anesthesia"},
		"hospital_course":            {"hospital course", "course in hospital"},
		"subjective":                 {"subjective", "s"},
		"objective":                  {"objective", "o"},
	} {
		for _, h := range hs {
			m[h] = name
		}
	}
	return m
}()

var (
	// upperHeader: upper-case words and a colon, at the start of the text,
	// of a line or after punctuation ("obesity.,POSTOPERATIVE DIAGNOSIS:").
	upperHeader = regexp.MustCompile(`(?:^|[\n.,;:])[ \t]*([A-Z][A-Z0-9/&()' -]*[A-Z)])[ \t]*:`)
	// spaceHeader: upper-case words and a colon after a space; kept only
	// when known ("... today ALLERGIES: none").
	spaceHeader = regexp.MustCompile(`[ \t]([A-Z][A-Z/&' -]*[A-Z])[ \t]*:`)
	// lineHeader: any case at the start of a line; kept only when known.
	lineHeader = regexp.MustCompile(`(?m)^[ \t]*([A-Za-z][A-Za-z/ -]{0,40}[A-Za-z])[ \t]*:`)
)

// SectionName returns the canonical name of a header, "" when unknown.
func SectionName(header string) string {
	return canonicalSections[strings.Join(strings.Fields(strings.ToLower(header)), " ")]
}

// Sections finds the headed sections of a note, in order. Text before the
// first header is not a section.
func Sections(s string) []Section {
	type hit struct{ hs, he, colon int }
	var hits []hit
	seen := map[int]bool{}
	for _, m := range upperHeader.FindAllStringSubmatchIndex(s, -1) {
		hits = append(hits, hit{m[2], m[3], m[1]})
		seen[m[2]] = true
	}
	for _, re := range []*regexp.Regexp{spaceHeader, lineHeader} {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			if !seen[m[2]] && SectionName(s[m[2]:m[3]]) != "" {
				hits = append(hits, hit{m[2], m[3], m[1]})
				seen[m[2]] = true
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.hs - b.hs })
	kept := hits[:0]
	for _, h := range hits { // a known header inside a longer one is part of it
		if len(kept) == 0 || h.hs >= kept[len(kept)-1].colon {
			kept = append(kept, h)
		}
	}
	hits = kept
	out := make([]Section, 0, len(hits))
	for i, h := range hits {
		header := s[h.hs:h.he]
		name := SectionName(header)
		if name == "" {
			name = "other"
		}
		end := len(s)
		if i+1 < len(hits) {
			end = hits[i+1].hs
		}
		out = append(out, Section{Name: name, Header: header, HeaderStart: h.hs, HeaderEnd: h.he, Start: h.colon, End: max(end, h.colon)})
	}
	return out
}

// SectionAt returns the index of the section holding byte offset i, -1 when
// none does.
func SectionAt(secs []Section, i int) int {
	for k := len(secs) - 1; k >= 0; k-- {
		if secs[k].HeaderStart <= i {
			if i < secs[k].End {
				return k
			}
			return -1
		}
	}
	return -1
}
