package deid

import (
	"sort"
	"unicode/utf8"
)

// Type is the kind of a protected health identifier (PHI), one per HIPAA
// Safe Harbor element, finer than the categories the metrics report.
type Type string

// The identifier types. STATE is not PHI under Safe Harbor and is never
// reported; a state only serves as context (city, ZIP).
const (
	Name       Type = "NAME"       // patients, relatives, clinicians
	Date       Type = "DATE"       // every date element but a lone year
	Age        Type = "AGE"        // ages over 89
	Phone      Type = "PHONE"      // telephone and pager numbers
	Fax        Type = "FAX"        // fax numbers
	Email      Type = "EMAIL"      // e-mail addresses
	URL        Type = "URL"        // web addresses
	IP         Type = "IP"         // IP addresses
	SSN        Type = "SSN"        // social security numbers
	MRN        Type = "MRN"        // medical record numbers
	HealthPlan Type = "HEALTHPLAN" // health plan beneficiary numbers
	Account    Type = "ACCOUNT"    // account numbers
	License    Type = "LICENSE"    // certificate and licence numbers
	Vehicle    Type = "VEHICLE"    // vehicle identifiers, plates
	Device     Type = "DEVICE"     // device identifiers and serial numbers
	ID         Type = "ID"         // other unique identifying numbers
	Street     Type = "STREET"     // street addresses
	City       Type = "CITY"       // cities and towns
	ZIP        Type = "ZIP"        // ZIP codes
	Hospital   Type = "HOSPITAL"   // hospitals, clinics and other care sites
	Location   Type = "LOCATION"   // other geographic units smaller than a state
)

// Types lists every type, in report order.
var Types = []Type{Name, Date, Age, Phone, Fax, Email, URL, IP, SSN, MRN, HealthPlan, Account, License, Vehicle, Device, ID, Street, City, ZIP, Hospital, Location}

// Category is the coarse group a type belongs to, used by the tagger and
// the metrics: NAME, DATE, AGE, CONTACT, ID, LOCATION.
type Category string

// The categories.
const (
	CatName     Category = "NAME"
	CatDate     Category = "DATE"
	CatAge      Category = "AGE"
	CatContact  Category = "CONTACT"
	CatID       Category = "ID"
	CatLocation Category = "LOCATION"
)

// Categories lists the categories in report order.
var Categories = []Category{CatName, CatDate, CatAge, CatContact, CatID, CatLocation}

// Category returns the type's category; an unknown type is an ID, so that
// a gold file with types of its own still scores.
func (t Type) Category() Category {
	switch t {
	case Name:
		return CatName
	case Date:
		return CatDate
	case Age:
		return CatAge
	case Phone, Fax, Email, URL, IP:
		return CatContact
	case Street, City, ZIP, Hospital, Location:
		return CatLocation
	}
	return CatID
}

// ParseType maps a type name (ours, or a common one of other corpora such
// as i2b2's and PhysioNet's) to a Type; ok is false for an unknown name.
func ParseType(s string) (Type, bool) {
	for _, t := range Types {
		if string(t) == s {
			return t, true
		}
	}
	switch s {
	case "PATIENT", "DOCTOR", "USERNAME", "PROVIDER", "RELATIVE", "HCPNAME", "PTNAME", "RELATIVEPROXYNAME", "PERSON":
		return Name, true
	case "DATE_TIME", "DATEYEAR", "HOLIDAY":
		return Date, true
	case "TELEPHONE", "PHONE_NUMBER", "PAGER":
		return Phone, true
	case "EMAIL_ADDRESS":
		return Email, true
	case "IP_ADDRESS":
		return IP, true
	case "US_SSN":
		return SSN, true
	case "MEDICALRECORD":
		return MRN, true
	case "HEALTH_PLAN", "HEALTHPLANNUMBER":
		return HealthPlan, true
	case "ACCOUNTNUMBER":
		return Account, true
	case "LICENCE", "US_DRIVER_LICENSE", "LICENSENUMBER":
		return License, true
	case "IDNUM", "BIOID", "OTHER", "UNIQUE", "US_PASSPORT", "US_BANK_NUMBER", "CREDIT_CARD":
		return ID, true
	case "ADDRESS", "STREETADDRESS":
		return Street, true
	case "ZIPCODE", "ZIP_CODE":
		return ZIP, true
	case "ORGANIZATION", "HOSPITALNAME", "LOCATION-OTHER":
		return Hospital, true
	case "COUNTRY", "STATE", "GPE", "LOC":
		return Location, true
	}
	return "", false
}

// Span is one identifier found in a text: [Start, End) in characters
// (Unicode code points) of the text it was found in, its type, its text,
// and which method found it ("rule:<name>", "dict:<list>", "model",
// "document" for a repeat of a name found elsewhere in the same text).
type Span struct {
	Start  int    `json:"start"`
	End    int    `json:"end"`
	Type   Type   `json:"type"`
	Text   string `json:"text"`
	Source string `json:"source,omitempty"`
}

// bspan is a span in byte offsets, the form detection works in.
type bspan struct {
	start, end int
	typ        Type
	source     string
}

// priority orders types when two methods disagree on overlapping text: the
// more specific wins.
var priority = map[Type]int{
	Email: 20, URL: 19, IP: 18, SSN: 17, Fax: 16, Phone: 15, MRN: 14, HealthPlan: 13, Account: 12, License: 11,
	Vehicle: 10, Device: 9, Street: 8, ZIP: 7, Date: 6, Age: 6, Hospital: 5, Name: 4, City: 3, Location: 2, ID: 1,
}

// mergeSpans sorts spans and merges overlapping ones into one span whose
// type is that of the highest-priority part. Touching spans of the same
// type are joined only if separated by nothing.
func mergeSpans(spans []bspan) []bspan {
	if len(spans) == 0 {
		return nil
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end > spans[j].end
	})
	out := []bspan{spans[0]}
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		if s.start < last.end {
			if s.end > last.end {
				last.end = s.end
			}
			if priority[s.typ] > priority[last.typ] {
				last.typ, last.source = s.typ, s.source
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// toSpans converts byte spans of text to character spans.
func toSpans(text string, bs []bspan) []Span {
	out := make([]Span, 0, len(bs))
	pos, chars := 0, 0
	advance := func(to int) int {
		chars += utf8.RuneCountInString(text[pos:to])
		pos = to
		return chars
	}
	for _, b := range bs {
		s := advance(b.start)
		e := advance(b.end)
		out = append(out, Span{Start: s, End: e, Type: b.typ, Text: text[b.start:b.end], Source: b.source})
	}
	return out
}

// byteOffsets converts character spans of text to byte offsets; it returns
// false if a span is out of range or not ordered.
func byteOffsets(text string, spans []Span) ([][2]int, bool) {
	idx := make([]int, 0, utf8.RuneCountInString(text)+1)
	for i := range text {
		idx = append(idx, i)
	}
	idx = append(idx, len(text))
	out := make([][2]int, len(spans))
	for i, s := range spans {
		if s.Start < 0 || s.End < s.Start || s.End > len(idx)-1 {
			return nil, false
		}
		out[i] = [2]int{idx[s.Start], idx[s.End]}
	}
	return out, true
}
