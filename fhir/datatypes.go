package fhir

// Coding is a code from a code system, e.g. LOINC 8867-4.
type Coding struct {
	System  string `json:"system,omitempty"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a concept given by codings and/or text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Code returns the first code of the given system, or "".
func (c *CodeableConcept) Code(system string) string {
	if c == nil {
		return ""
	}
	for _, x := range c.Coding {
		if x.System == system && x.Code != "" {
			return x.Code
		}
	}
	return ""
}

// Quantity is a measured amount; System and Code are usually UCUM.
type Quantity struct {
	Value      *float64 `json:"value,omitempty"`
	Comparator string   `json:"comparator,omitempty"`
	Unit       string   `json:"unit,omitempty"`
	System     string   `json:"system,omitempty"`
	Code       string   `json:"code,omitempty"`
}

// Reference points at another resource.
type Reference struct {
	Reference string `json:"reference,omitempty"`
	Type      string `json:"type,omitempty"`
	Display   string `json:"display,omitempty"`
}

// Period is a time range; either end may be open.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Annotation is a text note.
type Annotation struct {
	Text string `json:"text"`
	Time string `json:"time,omitempty"`
}

// Well-known code systems.
const (
	SystemLOINC  = "http://loinc.org"
	SystemUCUM   = "http://unitsofmeasure.org"
	SystemSNOMED = "http://snomed.info/sct"
)

var (
	codingFields          = fields(elementFields, "system version code display userSelected")
	codeableConceptFields = fields(elementFields, "coding text")
	quantityFields        = fields(elementFields, "value comparator unit system code")
	referenceFields       = fields(elementFields, "reference type identifier display")
	periodFields          = fields(elementFields, "start end")
	annotationFields      = fields(elementFields, "authorReference authorString time text")
)

func (d *decoder) coding(path string, m map[string]any) Coding {
	d.check(path, m, codingFields)
	d.boolean(path, m, "userSelected")
	return Coding{
		System:  d.str(path, m, "system", false),
		Version: d.str(path, m, "version", false),
		Code:    d.str(path, m, "code", false),
		Display: d.str(path, m, "display", false),
	}
}

func (d *decoder) codeableConcept(path string, m map[string]any) *CodeableConcept {
	d.check(path, m, codeableConceptFields)
	c := &CodeableConcept{Text: d.str(path, m, "text", false)}
	d.array(path, m, "coding", false, func(p string, e map[string]any) {
		c.Coding = append(c.Coding, d.coding(p, e))
	})
	return c
}

// codeableConceptAt reads an optional CodeableConcept element.
func (d *decoder) codeableConceptAt(path string, obj map[string]any, key string, required bool) *CodeableConcept {
	m, p := d.object(path, obj, key, required)
	if m == nil {
		return nil
	}
	return d.codeableConcept(p, m)
}

func (d *decoder) codeableConcepts(path string, obj map[string]any, key string) []CodeableConcept {
	var out []CodeableConcept
	d.array(path, obj, key, false, func(p string, e map[string]any) {
		out = append(out, *d.codeableConcept(p, e))
	})
	return out
}

func (d *decoder) quantityAt(path string, obj map[string]any, key string) *Quantity {
	m, p := d.object(path, obj, key, false)
	if m == nil {
		return nil
	}
	d.check(p, m, quantityFields)
	return &Quantity{
		Value:      d.decimal(p, m, "value", false),
		Comparator: d.code(p, m, "comparator", false, "<", "<=", ">=", ">"),
		Unit:       d.str(p, m, "unit", false),
		System:     d.str(p, m, "system", false),
		Code:       d.str(p, m, "code", false),
	}
}

func (d *decoder) reference(path string, m map[string]any) *Reference {
	d.check(path, m, referenceFields)
	return &Reference{
		Reference: d.str(path, m, "reference", false),
		Type:      d.str(path, m, "type", false),
		Display:   d.str(path, m, "display", false),
	}
}

func (d *decoder) referenceAt(path string, obj map[string]any, key string, required bool) *Reference {
	m, p := d.object(path, obj, key, required)
	if m == nil {
		return nil
	}
	return d.reference(p, m)
}

func (d *decoder) references(path string, obj map[string]any, key string) []Reference {
	var out []Reference
	d.array(path, obj, key, false, func(p string, e map[string]any) {
		out = append(out, *d.reference(p, e))
	})
	return out
}

func (d *decoder) periodAt(path string, obj map[string]any, key string) *Period {
	m, p := d.object(path, obj, key, false)
	if m == nil {
		return nil
	}
	d.check(p, m, periodFields)
	return &Period{Start: d.dateTime(p, m, "start"), End: d.dateTime(p, m, "end")}
}

func (d *decoder) annotations(path string, obj map[string]any, key string) []Annotation {
	var out []Annotation
	d.array(path, obj, key, false, func(p string, m map[string]any) {
		d.check(p, m, annotationFields)
		out = append(out, Annotation{Text: d.str(p, m, "text", true), Time: d.dateTime(p, m, "time")})
	})
	return out
}
