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

func (d *decoder) coding(m int) Coding {
	d.check(m, codingFields)
	d.boolean(m, "userSelected")
	return Coding{
		System:  d.str(m, "system", false),
		Version: d.str(m, "version", false),
		Code:    d.str(m, "code", false),
		Display: d.str(m, "display", false),
	}
}

// codeableConceptInto decodes object node m into c.
func (d *decoder) codeableConceptInto(m int, c *CodeableConcept) {
	d.check(m, codeableConceptFields)
	c.Text = d.str(m, "text", false)
	if n := d.arrayLen(m, "coding"); n > 0 {
		c.Coding = d.codings.take(min(n, 64))
	}
	d.array(m, "coding", false, func(e int) {
		c.Coding = append(c.Coding, d.coding(e))
	})
	if len(c.Coding) == 0 {
		c.Coding = nil
	}
}

// codeableConceptAt reads an optional CodeableConcept element.
func (d *decoder) codeableConceptAt(obj int, key string, required bool) *CodeableConcept {
	m, ok := d.object(obj, key, required)
	if !ok {
		return nil
	}
	c := &CodeableConcept{}
	mark := d.push(key)
	d.codeableConceptInto(m, c)
	d.pop(mark)
	return c
}

func (d *decoder) codeableConcepts(obj int, key string) []CodeableConcept {
	var out []CodeableConcept
	d.array(obj, key, false, func(e int) {
		var c CodeableConcept
		d.codeableConceptInto(e, &c)
		out = append(out, c)
	})
	return out
}

func (d *decoder) quantityAt(obj int, key string) *Quantity {
	m, ok := d.object(obj, key, false)
	if !ok {
		return nil
	}
	mark := d.push(key)
	defer d.pop(mark)
	d.check(m, quantityFields)
	q := d.quantities.new()
	*q = Quantity{
		Value:      d.decimal(m, "value", false),
		Comparator: d.code(m, "comparator", false, "<", "<=", ">=", ">"),
		Unit:       d.str(m, "unit", false),
		System:     d.str(m, "system", false),
		Code:       d.str(m, "code", false),
	}
	return q
}

func (d *decoder) reference(m int) Reference {
	d.check(m, referenceFields)
	return Reference{
		Reference: d.str(m, "reference", false),
		Type:      d.str(m, "type", false),
		Display:   d.str(m, "display", false),
	}
}

func (d *decoder) referenceAt(obj int, key string, required bool) *Reference {
	m, ok := d.object(obj, key, required)
	if !ok {
		return nil
	}
	mark := d.push(key)
	r := d.references.new()
	*r = d.reference(m)
	d.pop(mark)
	return r
}

func (d *decoder) referenceList(obj int, key string) []Reference {
	var out []Reference
	d.array(obj, key, false, func(e int) {
		out = append(out, d.reference(e))
	})
	return out
}

func (d *decoder) periodAt(obj int, key string) *Period {
	m, ok := d.object(obj, key, false)
	if !ok {
		return nil
	}
	mark := d.push(key)
	defer d.pop(mark)
	d.check(m, periodFields)
	return &Period{Start: d.dateTime(m, "start"), End: d.dateTime(m, "end")}
}

func (d *decoder) annotations(obj int, key string) []Annotation {
	var out []Annotation
	d.array(obj, key, false, func(m int) {
		d.check(m, annotationFields)
		out = append(out, Annotation{Text: d.str(m, "text", true), Time: d.dateTime(m, "time")})
	})
	return out
}
