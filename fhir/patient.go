package fhir

import "encoding/json"

// Patient is the person receiving care. Only the elements Galen uses are
// kept; names and identifiers are deliberately not.
type Patient struct {
	ID               string `json:"id,omitempty"`
	Active           *bool  `json:"active,omitempty"`
	Gender           string `json:"gender,omitempty"`
	BirthDate        string `json:"birthDate,omitempty"`
	DeceasedBoolean  *bool  `json:"deceasedBoolean,omitempty"`
	DeceasedDateTime string `json:"deceasedDateTime,omitempty"`
}

// ResourceType implements Resource.
func (*Patient) ResourceType() string { return "Patient" }

// MarshalJSON writes the patient with its resourceType.
func (p *Patient) MarshalJSON() ([]byte, error) {
	type plain Patient
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"`
		*plain
	}{"Patient", (*plain)(p)})
}

// Genders are the values of Patient.gender.
var Genders = []string{"male", "female", "other", "unknown"}

var patientFields = fields(domainFields, "identifier active name telecom gender birthDate "+
	"deceasedBoolean deceasedDateTime address maritalStatus multipleBirthBoolean "+
	"multipleBirthInteger photo contact communication generalPractitioner managingOrganization link")

func decodePatient(d *decoder, obj int) Resource {
	d.check(obj, patientFields)
	d.oneOf(obj, "deceased", "Boolean", "DateTime")
	d.oneOf(obj, "multipleBirth", "Boolean", "Integer")
	return &Patient{
		ID:               d.str(obj, "id", false),
		Active:           d.boolean(obj, "active"),
		Gender:           d.code(obj, "gender", false, Genders...),
		BirthDate:        d.date(obj, "birthDate"),
		DeceasedBoolean:  d.boolean(obj, "deceasedBoolean"),
		DeceasedDateTime: d.dateTime(obj, "deceasedDateTime"),
	}
}
