package deid

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The surrogate pools of the generator, vendored with their licences (see
// gendata/ORIGIN.md). They are not the detector's dictionaries, so the
// test set holds names the dictionaries lack.
//
//go:embed gendata/*.txt.gz
var genFS embed.FS

// Split names a part of the generated corpus.
type Split string

// The three splits. Templates (notes and PHI sentences), surrogate values
// (names, cities, streets, hospitals) and some formats are disjoint
// between them.
const (
	Train Split = "train"
	Valid Split = "valid"
	Test  Split = "test"
)

// Doc is one generated note with its gold spans (character offsets).
type Doc struct {
	Patient, Record string
	Text            string
	Spans           []Span
	Template        string // "mtsamples:<note_id>" or "nursing:<n>"
}

// GenConfig sets the size of a generated split.
type GenConfig struct {
	Seed     uint64
	Split    Split
	Notes    int // mtsamples notes (at most as many as the split holds)
	Nursing  int // nursing notes in the PhysioNet 2012 style
	Patients int // patients the notes are spread over (>= 1)
}

// splitOf assigns a key to a split by a hash: 70% train, 15% valid, 15%
// test.
func splitOf(kind, key string) Split {
	h := fnv.New32a()
	h.Write([]byte(kind + "\x00" + key))
	switch v := h.Sum32() % 100; {
	case v < 70:
		return Train
	case v < 85:
		return Valid
	}
	return Test
}

// pool is a list of surrogate values of one split.
type pool []string

func (p pool) pick(r *rand.Rand) string { return p[r.IntN(len(p))] }

func readGenList(name string) []string {
	b, err := genFS.ReadFile(name)
	if err != nil {
		panic("deid: " + err.Error())
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		panic("deid: " + err.Error())
	}
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// pools holds the surrogate values of a split.
type pools struct {
	first, last, city, street, hospital pool
}

func splitPool(kind string, all []string, s Split) pool {
	var p pool
	for _, v := range all {
		if splitOf(kind, v) == s {
			p = append(p, v)
		}
	}
	return p
}

func newPools(s Split) *pools {
	first := append(readGenList("gendata/faker-first.txt.gz"), readGenList("gendata/humannames-rare.txt.gz")[:2500]...)
	last := append(readGenList("gendata/faker-last.txt.gz"), readGenList("gendata/humannames-rare.txt.gz")[2500:]...)
	p := &pools{
		first:  splitPool("name", first, s),
		last:   splitPool("name", last, s),
		city:   splitPool("city", readGenList("gendata/faker-city.txt.gz"), s),
		street: splitPool("street", readGenList("gendata/faker-street.txt.gz"), s),
	}
	// hospitals: a distinctive part from the split's own cities and names
	for _, c := range p.city[:min(len(p.city), 120)] {
		for _, h := range []string{"General Hospital", "Medical Center", "Memorial Hospital", "Community Hospital", "Regional Medical Center", "Rehabilitation Center", "Nursing Home", "Health Center", "Clinic", "Hospital"} {
			p.hospital = append(p.hospital, c+" "+h)
		}
	}
	for _, l := range p.last[:min(len(p.last), 60)] {
		p.hospital = append(p.hospital, "St. "+l+"'s Hospital", l+" Memorial Hospital", l+" Clinic", "Saint "+l+" Medical Center")
	}
	return p
}

// builder assembles a note and records the gold spans as it goes.
type builder struct {
	b     strings.Builder
	chars int
	spans []Span
}

func (b *builder) text(s string) {
	b.b.WriteString(s)
	b.chars += utf8.RuneCountInString(s)
}

func (b *builder) phi(t Type, s string) {
	if s == "" {
		return
	}
	n := utf8.RuneCountInString(s)
	b.spans = append(b.spans, Span{Start: b.chars, End: b.chars + n, Type: t, Text: s})
	b.text(s)
}

// gen generates notes of one split.
type gen struct {
	r     *rand.Rand
	split Split
	p     *pools
	// the patient the current note is about, for consistent names
	ptFirst, ptLast string
	base            time.Time
}

// formatAllowed keeps the formats whose index is reserved for the test
// split (the last one of each list of four or more) out of train and
// valid.
func (g *gen) format(n int) int {
	if n >= 4 && g.split != Test {
		return g.r.IntN(n - 1)
	}
	return g.r.IntN(n)
}

func (g *gen) digits(n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return sb.String()
}

func (g *gen) letters(n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte(byte('A' + g.r.IntN(26)))
	}
	return sb.String()
}

// name writes a person's name in one of many formats, with an optional
// title outside the span.
func (g *gen) name(b *builder, first, last string, titled bool) {
	if titled {
		b.text([]string{"Dr. ", "Mr. ", "Mrs. ", "Ms. ", "Dr ", "Doctor "}[g.r.IntN(6)])
		switch g.format(5) {
		case 0, 1:
			b.phi(Name, last)
		case 2:
			b.phi(Name, first+" "+last)
		case 3:
			b.phi(Name, first[:1]+". "+last)
		default:
			b.phi(Name, strings.ToUpper(last))
		}
		return
	}
	switch g.format(8) {
	case 0, 1:
		b.phi(Name, first+" "+last)
	case 2:
		b.phi(Name, first)
	case 3:
		b.phi(Name, last+", "+first)
	case 4:
		b.phi(Name, first+" "+g.letters(1)+". "+last)
	case 5:
		b.phi(Name, strings.ToUpper(first+" "+last))
	case 6:
		b.phi(Name, first+" "+last+"-"+g.p.last.pick(g.r))
	default:
		b.phi(Name, strings.ToLower(first))
	}
}

// date writes a date element (never a lone year) in one of many formats.
func (g *gen) date(b *builder) {
	d := g.base.AddDate(0, 0, g.r.IntN(900)-450)
	m, day, y := int(d.Month()), d.Day(), d.Year()
	mon := d.Month().String()
	switch g.format(18) {
	case 0:
		b.phi(Date, fmt.Sprintf("%d/%d/%d", m, day, y))
	case 1:
		b.phi(Date, fmt.Sprintf("%02d/%02d/%02d", m, day, y%100))
	case 2:
		b.phi(Date, fmt.Sprintf("%d-%d-%02d", m, day, y%100))
	case 3:
		b.phi(Date, fmt.Sprintf("%d/%d", m, day))
	case 4:
		b.phi(Date, fmt.Sprintf("%s %d, %d", mon, day, y))
	case 5:
		b.phi(Date, fmt.Sprintf("%s %d", mon[:3], day))
	case 6:
		b.phi(Date, fmt.Sprintf("%d %s %d", day, mon, y))
	case 7:
		b.text("the ")
		b.phi(Date, ordinalDay(day))
	case 8:
		b.phi(Date, fmt.Sprintf("%04d-%02d-%02d", y, m, day))
	case 9:
		b.phi(Date, fmt.Sprintf("%s %d", mon, y))
	case 10:
		b.phi(Date, fmt.Sprintf("%d-%s-%02d", day, mon[:3], y%100))
	case 11:
		b.phi(Date, d.Weekday().String())
	case 12:
		b.phi(Date, fmt.Sprintf("%s %s", mon, ordinalDay(day)))
	case 13:
		b.phi(Date, fmt.Sprintf("%02d/%02d/%d", m, day, y))
	case 14:
		b.phi(Date, []string{"Christmas", "Thanksgiving", "New Year's Day", "Easter", "Labor Day"}[g.r.IntN(5)])
	case 15:
		b.phi(Date, fmt.Sprintf("%d.%d.%d", m, day, y))
	case 16:
		b.phi(Date, fmt.Sprintf("%s. %d", mon[:3], day))
	default: // test only
		b.phi(Date, fmt.Sprintf("%s %s, %d", strings.ToUpper(mon[:3]), ordinalDay(day), y))
	}
}

func ordinalDay(d int) string {
	suf := "th"
	switch {
	case d%10 == 1 && d != 11:
		suf = "st"
	case d%10 == 2 && d != 12:
		suf = "nd"
	case d%10 == 3 && d != 13:
		suf = "rd"
	}
	return fmt.Sprint(d, suf)
}

func (g *gen) phone(b *builder, t Type) {
	a, x, n := 200+g.r.IntN(800), 200+g.r.IntN(800), g.r.IntN(10000)
	switch g.format(8) {
	case 0:
		b.phi(t, fmt.Sprintf("(%d) %d-%04d", a, x, n))
	case 1:
		b.phi(t, fmt.Sprintf("%d-%d-%04d", a, x, n))
	case 2:
		b.phi(t, fmt.Sprintf("%d.%d.%04d", a, x, n))
	case 3:
		b.phi(t, fmt.Sprintf("%d-%04d", x, n))
	case 4:
		b.phi(t, fmt.Sprintf("%d-%d-%04d x%d", a, x, n, g.r.IntN(900)+100))
	case 5:
		b.phi(t, fmt.Sprintf("+1 %d %d %04d", a, x, n))
	case 6:
		b.phi(t, fmt.Sprintf("1-%d-%d-%04d", a, x, n))
	default: // test only
		b.phi(t, fmt.Sprintf("%d %d %04d", a, x, n))
	}
}

// id writes an identifier of type t in a shape typical of it.
func (g *gen) id(b *builder, t Type) {
	switch t {
	case SSN:
		if g.format(4) == 3 {
			b.phi(t, g.digits(3)+" "+g.digits(2)+" "+g.digits(4))
		} else {
			b.phi(t, g.digits(3)+"-"+g.digits(2)+"-"+g.digits(4))
		}
	case MRN:
		b.phi(t, []string{g.digits(7), g.digits(8), g.digits(3) + "-" + g.digits(2) + "-" + g.digits(2), g.letters(2) + g.digits(6)}[g.format(4)])
	case HealthPlan:
		b.phi(t, []string{g.letters(3) + g.digits(9), g.digits(1) + g.letters(2) + g.digits(1) + "-" + g.letters(2) + g.digits(1) + "-" + g.letters(2) + g.digits(2), g.letters(1) + g.digits(8), g.digits(9) + g.letters(1)}[g.format(4)])
	case Account:
		b.phi(t, []string{g.digits(10), g.digits(4) + "-" + g.digits(6), "A" + g.digits(9), g.digits(12)}[g.format(4)])
	case License:
		b.phi(t, []string{g.letters(2) + g.digits(7), g.digits(10), g.letters(1) + g.digits(7), "MD" + g.digits(6)}[g.format(4)])
	case Vehicle:
		b.phi(t, []string{g.digits(1) + g.letters(3) + g.digits(3), g.letters(3) + " " + g.digits(4), vin(g), g.letters(2) + "-" + g.digits(4)}[g.format(4)])
	case Device:
		b.phi(t, []string{g.letters(2) + g.digits(8), g.letters(3) + g.digits(6) + g.letters(1), g.digits(9), g.letters(1) + g.digits(4) + "-" + g.digits(5)}[g.format(4)])
	default:
		b.phi(ID, []string{g.digits(6), g.letters(2) + "-" + g.digits(5), g.letters(1) + g.digits(7), g.digits(4) + "-" + g.digits(4)}[g.format(4)])
	}
}

func vin(g *gen) string {
	const cs = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
	var sb strings.Builder
	for i := range 17 {
		if i%3 == 1 {
			sb.WriteByte(byte('0' + g.r.IntN(10)))
		} else {
			sb.WriteByte(cs[g.r.IntN(len(cs))])
		}
	}
	return sb.String()
}

var stateAbbrs = []string{"MA", "NY", "CA", "TX", "FL", "IL", "PA", "OH", "GA", "NC", "MI", "NJ", "VA", "WA", "AZ", "TN", "IN", "MO", "MD", "WI"}
var stateNames = []string{"Massachusetts", "New York", "California", "Texas", "Florida", "Ohio", "Georgia", "Oregon", "Maine", "Vermont"}

// address writes a street address, city, state and ZIP.
func (g *gen) address(b *builder) {
	num := fmt.Sprint(1 + g.r.IntN(9999))
	b.phi(Street, num+" "+g.p.street.pick(g.r)+[]string{"", "", ", Apt " + fmt.Sprint(1+g.r.IntN(40)) + string(rune('A'+g.r.IntN(6))), " #" + fmt.Sprint(1+g.r.IntN(300))}[g.r.IntN(4)])
	b.text(", ")
	g.cityState(b)
}

func (g *gen) cityState(b *builder) {
	b.phi(City, g.p.city.pick(g.r))
	if g.r.IntN(3) == 0 {
		b.text(", " + stateNames[g.r.IntN(len(stateNames))])
	} else {
		b.text(", " + stateAbbrs[g.r.IntN(len(stateAbbrs))])
	}
	if g.r.IntN(2) == 0 {
		b.text(" ")
		z := g.digits(5)
		if g.r.IntN(4) == 0 {
			z += "-" + g.digits(4)
		}
		b.phi(ZIP, z)
	}
}

func (g *gen) age(b *builder) {
	b.phi(Age, fmt.Sprint(90+g.r.IntN(15)))
}

// fill expands a sentence template: {NAME} a person, {DR} a titled
// clinician, {PT} the patient, {FIRST} a first name, {DATE}, {AGE}, {PHONE},
// {FAX}, {EMAIL}, {URL}, {IP}, {SSN}, {MRN}, {PLAN}, {ACCT}, {LIC},
// {VEH}, {DEV}, {ID}, {ADDR}, {CITY}, {CITYST}, {ZIP}, {HOSP}.
func (g *gen) fill(b *builder, tpl string) {
	for tpl != "" {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			b.text(tpl)
			return
		}
		b.text(tpl[:i])
		j := strings.IndexByte(tpl[i:], '}')
		slot := tpl[i+1 : i+j]
		tpl = tpl[i+j+1:]
		switch slot {
		case "NAME":
			g.name(b, g.p.first.pick(g.r), g.p.last.pick(g.r), false)
		case "DR":
			g.name(b, g.p.first.pick(g.r), g.p.last.pick(g.r), true)
		case "PT":
			g.name(b, g.ptFirst, g.ptLast, g.r.IntN(2) == 0)
		case "FIRST":
			b.phi(Name, g.p.first.pick(g.r))
		case "DATE":
			g.date(b)
		case "AGE":
			g.age(b)
		case "PHONE":
			g.phone(b, Phone)
		case "FAX":
			g.phone(b, Fax)
		case "EMAIL":
			f, l := lower(g.p.first.pick(g.r)), lower(g.p.last.pick(g.r))
			b.phi(Email, []string{f + "." + l, f[:1] + l, l + fmt.Sprint(g.r.IntN(99))}[g.r.IntN(3)]+"@"+[]string{"gmail.com", "yahoo.com", "mercyhealth.org", "comcast.net", "hospital.edu"}[g.r.IntN(5)])
		case "URL":
			h := lower(strings.ReplaceAll(g.p.city.pick(g.r), " ", ""))
			b.phi(URL, []string{"http://www." + h + "health.org", "https://" + h + "clinic.com/portal", "www." + h + "-med.org", "https://portal." + h + ".org/pt/" + g.digits(5)}[g.format(4)])
		case "IP":
			b.phi(IP, fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254)))
		case "SSN":
			g.id(b, SSN)
		case "MRN":
			g.id(b, MRN)
		case "PLAN":
			g.id(b, HealthPlan)
		case "ACCT":
			g.id(b, Account)
		case "LIC":
			g.id(b, License)
		case "VEH":
			g.id(b, Vehicle)
		case "DEV":
			g.id(b, Device)
		case "ID":
			g.id(b, ID)
		case "ADDR":
			g.address(b)
		case "CITY":
			b.phi(City, g.p.city.pick(g.r))
		case "CITYST":
			g.cityState(b)
		case "HOSP":
			b.phi(Hospital, g.p.hospital.pick(g.r))
		default:
			b.text("{" + slot + "}")
		}
	}
}

// phiSentences are sentence templates with PHI slots; each belongs to one
// split by a hash of its text, so the test set has contexts the tagger
// never saw.
var phiSentences = []string{
	"Patient seen and examined with {DR} on {DATE}.",
	"{PT} is a {AGE}-year-old woman admitted on {DATE} from {HOSP}.",
	"The patient is a {AGE} yo man who lives with his wife {FIRST} in {CITYST}.",
	"Discussed the plan with her daughter, {NAME}, who can be reached at {PHONE}.",
	"Records were faxed to {HOSP} at {FAX} on {DATE}.",
	"Follow up with {DR} in clinic on {DATE}; call {PHONE} with questions.",
	"MRN: {MRN}",
	"Medical record number {MRN}, account number {ACCT}.",
	"Insurance: Medicare ID {PLAN}.",
	"Member ID {PLAN}, group no. {ID}.",
	"SSN {SSN}.",
	"Social security number: {SSN}",
	"Address: {ADDR}.",
	"Lives at {ADDR} with her son {NAME}.",
	"Pt's home phone is {PHONE}; cell {PHONE}.",
	"E-mail: {EMAIL}",
	"Results were sent to {EMAIL} and posted on {URL}.",
	"Accessed the portal from IP address {IP} on {DATE}.",
	"Pacemaker serial number {DEV} was interrogated.",
	"Device ID {DEV} implanted on {DATE} at {HOSP}.",
	"Driver's license {LIC}.",
	"DEA number {LIC}, NPI {LIC}.",
	"He was involved in an MVC; vehicle plate {VEH}.",
	"VIN {VEH}.",
	"Transferred from {HOSP} on {DATE} for further care.",
	"She was last seen by {DR} at {HOSP} in {CITY}.",
	"Dictated by: {NAME}, MD",
	"Electronically signed by {DR} on {DATE}.",
	"cc: {DR}; {DR}",
	"Referred by {DR} of {CITYST}.",
	"HCP is his niece {NAME} ({PHONE}).",
	"Family meeting held on {DATE} with {NAME} and {NAME}.",
	"The patient's husband {FIRST} was updated by phone at {PHONE}.",
	"{PT} was born on {DATE}.",
	"DOB: {DATE}",
	"Date of service: {DATE}",
	"Admission date: {DATE}   Discharge date: {DATE}",
	"She is {AGE} years old and lives alone in {CITY}.",
	"Recently travelled to {CITY} to visit her granddaughter {FIRST}.",
	"Pathology accession {ID} was reviewed.",
	"Specimen #{ID} sent to pathology on {DATE}.",
	"Claim number {ID}.",
	"Please page {DR} at {PHONE} with results.",
	"Spoke with {NAME} from {HOSP} regarding placement.",
	"Her PCP is {DR} ({PHONE}, fax {FAX}).",
	"Seen in the ED at {HOSP} on {DATE} and discharged home to {CITY}.",
	"{PT} tolerated the procedure well.",
	"I had the pleasure of seeing {PT} today.",
	"Mother: {NAME}, phone {PHONE}.",
	"Emergency contact: {NAME}, {PHONE}",
	"Account #: {ACCT}",
	"Encounter {ACCT} on {DATE}.",
	"Plan: repeat labs on {DATE}, then see {DR} on {DATE}.",
	"The patient, a {AGE}-year-old retired teacher from {CITY}, presents with dyspnea.",
	"Guardian {NAME} signed consent on {DATE}.",
	"Nursing home: {HOSP}, {ADDR}.",
	"Visited by {FIRST} and {FIRST} today; they left at 3 pm.",
	"Last colonoscopy on {DATE} by {DR} was normal.",
	"Pt states she moved here from {CITYST} in {DATE}.",
	"Report copied to {DR}, {HOSP}.",
}

// nursingLines are the non-PHI lines of PhysioNet 2012 style nursing
// notes, written for this generator.
var nursingLines = []string{
	"Neuro: A+Ox3, MAE, follows commands. PERRL 3mm brisk.",
	"Neuro: lethargic but arousable to voice, oriented x1. No seizure activity noted.",
	"CV: SR 80s-90s, no ectopy. BP 110-130/60s. Pulses palp x4.",
	"CV: AFib 100-120s, started on dilt gtt per team. K repleted.",
	"Resp: LS clear bilat, diminished at bases. Sats 95-98% on 2L NC. Non-productive cough.",
	"Resp: remains intubated on AC 500x14, FiO2 40%, PEEP 5. Sx for thick tan secretions.",
	"GI: abd soft, NT/ND, +BS. Tol clears. No BM this shift.",
	"GI/GU: foley draining clear yellow urine 40-60cc/hr. Abd distended, hypoactive BS.",
	"ID: Tmax 38.2, blood cx sent x2. On vanc/zosyn.",
	"Skin: coccyx stage II, dsg changed. Turned q2h.",
	"Endo: RISS per protocol, FS 140-180.",
	"Pain: c/o incisional pain 6/10, medicated with morphine 2mg IV with good effect.",
	"Heme: Hct 27.1, transfused 1 unit PRBC, post Hct pending.",
	"Access: R IJ TLC, L PIV 20g. Site clean, dry and intact.",
	"Social: family in to visit, updated on plan of care.",
	"Plan: cont to monitor, wean O2 as tol, OOB to chair in am.",
	"Dispo: full code. Possible c/o to floor tomorrow.",
	"Events: pt pulled at lines overnight, soft restraints applied per protocol.",
	"Labs: K 3.4, Mg 1.8 repleted. ABG 7.38/42/88.",
	"Activity: OOB to chair with assist x2, tolerated well.",
}

var nursingPHI = []string{
	"NPN 7a-7p {DATE}",
	"Nursing progress note, {DATE}, 7p-7a.",
	"Social: {NAME} (wife) called and was updated, phone {PHONE}.",
	"Social: daughter {FIRST} in to visit, states family will meet with {DR} on {DATE}.",
	"Pt is a {AGE} yo F admitted from {HOSP} with urosepsis.",
	"Dr. {FIRST} aware of BP.",
	"Plan: d/c to {HOSP} rehab in {CITY} when bed available.",
	"Pt's son {NAME} from {CITYST} updated by RN.",
	"Team: {DR} / {DR}. Case mgmt notified.",
	"Code status discussed with HCP {NAME} on {DATE}.",
	"Family: sister {FIRST} ({PHONE}).",
	"Transferred from {HOSP} on {DATE}, MRN {MRN}.",
}

// templatesOf returns the templates of list that fall in split s.
func templatesOf(kind string, list []string, s Split) []string {
	var out []string
	for _, t := range list {
		if splitOf(kind, t) == s {
			out = append(out, t)
		}
	}
	return out
}

// placeholder names in mtsamples ("Dr. X", "Mr. Abc") and dates it still
// holds are replaced by surrogates with gold spans.
var (
	mtPlaceholder = regexp.MustCompile(`\b(?:Dr|Mr|Mrs|Ms|Miss)\.?\s+(?:XYZ|ABC|Abc|Xyz|[A-Z])\b\.?`)
	mtDate        = regexp.MustCompile(`\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b|\b(?:` + monthFull + `)\s+\d{1,2},\s+\d{4}\b|\b(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}\b|\b(?:` + monthFull + `)\s+(?:of\s+)?(?:19|20)\d{2}\b|\b(?:0[1-9]|1[0-2])/\d{2}\b`)
)

// Note is one mtsamples transcription.
type Note struct {
	ID, Specialty, Text string
}

// ReadMTSamples reads the mtsamples CSV (gzipped or not): columns note_id,
// description, medical_specialty, sample_name, transcription, keywords.
func ReadMTSamples(path string) ([]Note, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"note_id", "medical_specialty", "transcription"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, c)
		}
	}
	var out []Note
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t := rec[col["transcription"]]
		if t == "" || t == "NA" {
			continue
		}
		out = append(out, Note{ID: rec[col["note_id"]], Specialty: rec[col["medical_specialty"]], Text: t})
	}
	return out, nil
}

// mtText turns the scraped one-line transcription into lines: section
// headings ("HISTORY OF PRESENT ILLNESS:,") start a new line.
var mtHeading = regexp.MustCompile(`,?\s*([A-Z][A-Z /&()-]{2,}[A-Z)]):,?\s*`)

func mtText(s string) string {
	s = mtHeading.ReplaceAllString(s, "\n$1: ")
	return strings.TrimSpace(s)
}

// Generate builds the notes of cfg.Split: mtsamples notes of the split
// with their placeholders and dates replaced by surrogates and PHI
// sentences of the split inserted, and nursing notes in the PhysioNet
// 2012 style, spread over cfg.Patients patients.
func Generate(notes []Note, cfg GenConfig) []Doc {
	r := rand.New(rand.NewPCG(cfg.Seed, uint64(len(cfg.Split))*0x9e3779b97f4a7c15+1))
	g := &gen{r: r, split: cfg.Split, p: newPools(cfg.Split)}
	sents := templatesOf("sentence", phiSentences, cfg.Split)
	nphi := templatesOf("nursing", nursingPHI, cfg.Split)
	if len(nphi) == 0 {
		nphi = nursingPHI
	}
	patients := max(cfg.Patients, 1)
	type person struct{ first, last string }
	pts := make([]person, patients)
	for i := range pts {
		pts[i] = person{g.p.first.pick(r), g.p.last.pick(r)}
	}
	var docs []Doc
	add := func(b *builder, tpl string) {
		k := len(docs)
		docs = append(docs, Doc{
			Patient:  fmt.Sprint(1000 + k%patients),
			Record:   fmt.Sprint(k + 1),
			Text:     b.b.String(),
			Spans:    b.spans,
			Template: tpl,
		})
	}
	var mine []Note
	for _, n := range notes {
		if splitOf("note", n.ID) == cfg.Split {
			mine = append(mine, n)
		}
	}
	for k := 0; k < cfg.Notes && k < len(mine); k++ {
		n := mine[k]
		pt := pts[len(docs)%patients]
		g.ptFirst, g.ptLast = pt.first, pt.last
		g.base = time.Date(2005+r.IntN(15), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		b := &builder{}
		if r.IntN(2) == 0 {
			g.fill(b, []string{"Patient: {PT}   MRN: {MRN}   DOB: {DATE}\n", "NAME: {PT}\nDATE OF ADMISSION: {DATE}\n", "RE: {PT}\nDate: {DATE}\n"}[r.IntN(3)])
		}
		text := mtText(n.Text)
		// split the note into sentences and put PHI sentences between some
		toks := Tokenize(text)
		ss := Sentences(text, toks, 0)
		every := max(len(ss)/(2+r.IntN(4)), 1)
		prev := 0
		for i, s := range ss {
			end := toks[s[1]-1].End
			if i == len(ss)-1 {
				end = len(text)
			}
			g.original(b, text[prev:end])
			prev = end
			if i%every == every-1 && len(sents) > 0 {
				b.text(" ")
				g.fill(b, sents[r.IntN(len(sents))])
			}
		}
		add(b, "mtsamples:"+n.ID)
	}
	nursing := templatesOf("nursingline", nursingLines, cfg.Split)
	if len(nursing) < 4 {
		nursing = nursingLines
	}
	for k := range cfg.Nursing {
		pt := pts[len(docs)%patients]
		g.ptFirst, g.ptLast = pt.first, pt.last
		g.base = time.Date(2005+r.IntN(15), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		b := &builder{}
		g.fill(b, nphi[r.IntN(len(nphi))])
		b.text("\n")
		for range 4 + r.IntN(6) {
			if r.IntN(3) == 0 {
				g.fill(b, nphi[r.IntN(len(nphi))])
			} else {
				b.text(nursing[r.IntN(len(nursing))])
			}
			b.text([]string{"\n", " ", "\n"}[r.IntN(3)])
		}
		add(b, fmt.Sprint("nursing:", k))
	}
	return docs
}

// original copies template text, replacing its placeholder names and
// dates with surrogates.
func (g *gen) original(b *builder, s string) {
	for s != "" {
		p := mtPlaceholder.FindStringIndex(s)
		d := mtDate.FindStringIndex(s)
		if p == nil && d == nil {
			b.text(s)
			return
		}
		if p == nil || d != nil && d[0] < p[0] {
			b.text(s[:d[0]])
			g.date(b)
			s = s[d[1]:]
			continue
		}
		b.text(s[:p[0]])
		g.fill(b, "{DR}")
		if strings.HasSuffix(s[p[0]:p[1]], ".") {
			b.text(".")
		}
		s = s[p[1]:]
	}
}
