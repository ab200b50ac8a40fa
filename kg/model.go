package kg

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/galenhealth/galen"
)

// Node and Edge are the store's records (see galen.KGNode, galen.KGEdge).
type (
	Node = galen.KGNode
	Edge = galen.KGEdge
	Attr = galen.KGAttr
)

// Node types.
const (
	TypeDrug         = "Drug"
	TypeDisease      = "Disease"
	TypeSymptom      = "Symptom"
	TypeATCClass     = "ATCClass"
	TypeICDCode      = "ICDCode"
	TypeProcedure    = "Procedure"
	TypeConcept      = "Concept" // a code of another vocabulary, known only as an xref target
	TypeCondition    = "Condition"
	TypeMedication   = "Medication"
	TypePatient      = "Patient"
	TypePractitioner = "Practitioner"
	TypeLabTest      = "LabTest"
)

// Edge types.
const (
	EdgeTreats        = "treats"          // Drug -> Disease (disease-modifying)
	EdgePalliates     = "palliates"       // Drug -> Disease (symptomatic)
	EdgeNotIndicated  = "not_indicated"   // Drug -> Disease (curated non-indication)
	EdgeHasSymptom    = "has_symptom"     // Disease -> Symptom
	EdgeInteracts     = "interacts_with"  // Drug -> Drug
	EdgeInATC         = "in_atc_class"    // Drug -> ATCClass
	EdgeIsA           = "is_a"            // child -> parent (DOID, ATC, ICD)
	EdgeXref          = "xref"            // Disease -> code of another vocabulary
	EdgeSameAs        = "same_as"         // cross-walk: code -> code of another vocabulary
	EdgeHasIngredient = "has_ingredient"  // Medication (RxNorm) -> Drug (DrugBank)
	EdgeDiagnosedWith = "diagnosed_with"  // Patient -> Condition
	EdgePrescribed    = "prescribed"      // Patient -> Medication
	EdgeTreatedBy     = "treated_by"      // Patient -> Practitioner
	EdgeDiagnoses     = "diagnoses"       // Practitioner -> Condition
	EdgeHasObs        = "has_observation" // Patient -> LabTest
)

// edgeLabels are the readable forms of edge types used in rendered paths.
var edgeLabels = map[string]string{
	EdgeTreats: "treats", EdgePalliates: "palliates", EdgeNotIndicated: "is not indicated for",
	EdgeHasSymptom: "has symptom", EdgeInteracts: "interacts with", EdgeInATC: "is in ATC class",
	EdgeIsA: "is a", EdgeXref: "cross-references", EdgeSameAs: "is the same as",
	EdgeHasIngredient: "has ingredient", EdgeDiagnosedWith: "was diagnosed with", EdgePrescribed: "was prescribed",
	EdgeTreatedBy: "was treated by", EdgeDiagnoses: "diagnosed", EdgeHasObs: "has observation",
}

// EdgeLabel returns the readable form of an edge type.
func EdgeLabel(t string) string {
	if l, ok := edgeLabels[t]; ok {
		return l
	}
	return t
}

// text, num and date build attributes.
func text(name, v string) Attr { return Attr{Name: name, Kind: galen.KGText, Text: v} }
func num(name string, v float64, unit string) Attr {
	return Attr{Name: name, Kind: galen.KGNumber, Num: v, Unit: unit}
}
func date(name, v string) Attr { return Attr{Name: name, Kind: galen.KGDate, Text: v} }

// AttrText returns the attribute called name as text ("" if absent).
func AttrText(as []Attr, name string) string {
	for _, a := range as {
		if a.Name == name {
			if a.Kind == galen.KGNumber {
				return strconv.FormatFloat(a.Num, 'g', -1, 64)
			}
			return a.Text
		}
	}
	return ""
}

// AttrNum returns the number attribute called name and whether it exists.
func AttrNum(as []Attr, name string) (float64, bool) {
	for _, a := range as {
		if a.Name == name && a.Kind == galen.KGNumber {
			return a.Num, true
		}
	}
	return 0, false
}

// parseNumber parses a finite decimal number.
func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = fmt.Errorf("not a finite number: %q", s)
	}
	return v, err
}

// normName folds a name for matching: lower case, single spaces, without a
// trailing SNOMED CT semantic tag such as "(disorder)".
func normName(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		switch s[i+2 : len(s)-1] {
		case "disorder", "finding", "situation", "morphologic abnormality", "event", "procedure", "symptom":
			s = s[:i]
		}
	}
	return s
}

// clip shortens s to at most n bytes without splitting a character, adding
// "..." when it cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// cleanField makes a field from outside storable: valid UTF-8 (bad bytes
// become U+FFFD), no NUL bytes.
func cleanField(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
