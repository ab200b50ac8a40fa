package deid

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// rule is one auditable pattern: a regular expression, the submatch that
// is the identifier (0: the whole match), its type, and an optional check
// of the match in its context that may veto it or change its type.
type rule struct {
	name  string
	typ   Type
	re    *regexp.Regexp
	group int
	check func(text string, m []int, s, e int) (Type, bool)
}

// Pieces of the patterns.
const (
	monthFull = `January|February|March|April|May|June|July|August|September|October|November|December`
	monthAbbr = `Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec`
	month     = `(?:` + monthFull + `|(?:` + monthAbbr + `)\.?|JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER|JAN|FEB|MAR|APR|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC)`
	ordinal   = `(?:st|nd|rd|th)`
	capWord   = `(?:[A-Z][a-zA-Z'\-]+|[A-Z]\.)`
	capWords3 = capWord + `(?:\s+` + capWord + `){0,2}`
	// idValue is an identifier after a context word: letters, digits and
	// dashes with at least one digit (checked by hasDigits).
	idValue        = `([A-Za-z]{0,4}-?\d[A-Za-z0-9\-/]*[A-Za-z0-9]|\d)`
	idGlue         = `(?:\s*(?:id|no\.?|num(?:ber)?|#|code)\b\.?)?\s*(?:[:#=]\s*)?`
	idGlueRequired = `\s*(?:id|no\.?|num(?:ber)?|#)(?:\s*[:#=])?\s*`
	streetSf       = `Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Row|Path|Pike|Turnpike|Tpke|Plaza|Crescent|Heights|Loop|Branch|Bridge|Brook|Creek|Crossing|Fork|Gardens?|Glen|Grove|Harbor|Hills?|Hollow|Island|Junction|Knoll|Lakes?|Landing|Meadows?|Mills?|Mount|Mountain|Orchard|Park|Pass|Point|Port|Ridge|River|Run|Shores?|Springs?|Station|Stream|Summit|Valley|View|Village|Vista|Walk|Wells?|Woods?|Estates?|Falls|Fields?|Forest|Freeway|Expressway|Green|Haven|Key|Manor|Oval|Pines|Plains|Prairie|Ranch|Rapids|Rest|Route|Spur|Track|Underpass|Union|Ville`
)

// ambiguousStates are postal codes that are also clinical abbreviations
// (MD, PA, MS, OR ...): they count as a state only before a ZIP code.
var ambiguousStates = map[string]bool{"MD": true, "PA": true, "MS": true, "OR": true, "IN": true, "OK": true, "ME": true, "CO": true, "DE": true, "HI": true, "ID": true, "LA": true, "SC": true, "NE": true, "AL": true, "GA": true, "VA": true, "NC": true}

var stateAltStrict = stateAlternation(false)

var stateAlt = stateAlternation(true)

func stateAlternation(all bool) string {
	var names []string
	for s := range usStates {
		if !all && ambiguousStates[s] {
			continue
		}
		names = append(names, regexp.QuoteMeta(s))
	}
	// longest first, so that "New York" wins over "New"
	sortByLenDesc(names)
	return `(?:` + strings.Join(names, "|") + `)`
}

func sortByLenDesc(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && (len(s[j]) > len(s[j-1]) || len(s[j]) == len(s[j-1]) && s[j] < s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

var rules = []rule{
	// contacts
	{name: "email", typ: Email, re: regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)},
	{name: "url", typ: URL, re: regexp.MustCompile(`(?i)\b(?:https?://|ftp://|www\.)[^\s<>"']*[^\s<>"'.,;:)\]]`)},
	{name: "domain", typ: URL, re: regexp.MustCompile(`(?i)\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|org|net|edu|gov|us|io|info|biz|health|care)\b(?:/[^\s<>"']*[^\s<>"'.,;:)\]])?`)},
	{name: "ipv4", typ: IP, re: regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b`)},
	{name: "ipv6", typ: IP, re: regexp.MustCompile(`(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?\b`)},
	{name: "ssn", typ: SSN, re: regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)},
	{name: "ssn-context", typ: SSN, group: 1, re: regexp.MustCompile(`(?i)\b(?:ssn|ss#|s\.s\.n\.?|social security(?: number| no\.?| #)?|soc sec(?: no\.?| #)?)\s*(?:is|:|#|no\.?)?\s*[:#]?\s*(\d{3}[\s.\-]?\d{2}[\s.\-]?\d{4})\b`)},
	{name: "phone", typ: Phone, check: faxIfSaid, re: regexp.MustCompile(`(?:\+?1[\s.\-]?)?(?:\(\d{3}\)\s*|\b\d{3}[\s.\-/])\d{3}[\s.\-]\d{4}\b(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?`)},
	{name: "phone-context", typ: Phone, group: 1, check: faxIfSaid, re: regexp.MustCompile(`(?i)\b(?:pager|beeper|page|paged|ext|extension|tel|telephone|phone|ph|call|called|cell|mobile|fax|contact)\s*\.?\s*(?:is|at|:|#|no\.?|number)?\s*[:#]?\s*(\+?\d[\d\s.\-()]{3,16}\d)\b`)},
	{name: "phone-local", typ: Phone, check: checkLocalPhone, re: regexp.MustCompile(`\b\d{3}-\d{4}\b`)},
	// dates
	{name: "date-numeric", typ: Date, check: checkNumericDate, re: regexp.MustCompile(`\b(\d{1,2})([/\-.])(\d{1,2})(?:([/\-.])(\d{4}|\d{2}))?\b`)},
	{name: "date-iso", typ: Date, re: regexp.MustCompile(`\b(?:1[89]|20)\d{2}([/\-.])(?:0?[1-9]|1[0-2])([/\-.])(?:0?[1-9]|[12]\d|3[01])\b`)},
	{name: "date-compact", typ: Date, re: regexp.MustCompile(`\b(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b`)},
	{name: "date-month-year", typ: Date, re: regexp.MustCompile(`\b(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}\b`)},
	{name: "date-month-day", typ: Date, re: regexp.MustCompile(`\b` + month + `\s*\d{1,2}` + ordinal + `?(?:(?:,\s*|\s+|,)(?:\d{4}|'\d{2})\b)?`)},
	{name: "date-day-month", typ: Date, re: regexp.MustCompile(`\b\d{1,2}` + ordinal + `?(?:\s+of)?[\s\-/]*` + month + `(?:(?:,\s*|[\s\-/]+)(?:\d{4}|\d{2}|'\d{2})\b)?`)},
	{name: "date-month-of-year", typ: Date, re: regexp.MustCompile(`\b` + month + `(?:,\s*|\s+of\s+|\s+|-|')(?:\d{4}|\d{2})\b`)},
	{name: "month", typ: Date, check: checkLoneMonth, re: regexp.MustCompile(`\b(?:` + monthFull + `)\b`)},
	{name: "weekday", typ: Date, re: regexp.MustCompile(`\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|MONDAY|TUESDAY|WEDNESDAY|THURSDAY|FRIDAY|SATURDAY|SUNDAY)s?\b`)},
	{name: "ordinal-day", typ: Date, group: 1, check: checkOrdinalDay, re: regexp.MustCompile(`(?i)\b(?:the|on|since|until|till|by|from|before|after|of)\s+(?:the\s+)?(\d{1,2}` + ordinal + `)\b`)},
	{name: "holiday", typ: Date, re: regexp.MustCompile(`\b(?:Christmas(?: Eve| Day)?|Thanksgiving(?: Day)?|Easter(?: Sunday)?|New Year'?s(?: Day| Eve)?|Memorial Day|Labor Day|Independence Day|Fourth of July|Halloween|Valentine'?s Day|Veterans'? Day|Martin Luther King(?: Jr\.?)? Day|MLK Day|Presidents'? Day|Columbus Day|Mother'?s Day|Father'?s Day|Hanukkah|Chanukah|Passover|Ramadan|Rosh Hashanah|Yom Kippur|Kwanzaa)\b`)},
	// ages over 89
	{name: "age-years", typ: Age, group: 1, re: regexp.MustCompile(`(?i)\b(9\d|1[0-4]\d)(?:\s*|-)(?:years?|yrs?|y/o|y\.o\.?|yo|y|year-old|-year-old|years-old|yoF|yoM|yom|yof)\b`)},
	{name: "age-context", typ: Age, group: 1, re: regexp.MustCompile(`(?i)\b(?:age|aged|ages|age of|is a|a|an)\s*:?\s*(9\d|1[0-4]\d)\b(?:\s*(?:M|F|male|female|man|woman|gentleman|lady|y)\b)?`)},
	{name: "age-sex", typ: Age, group: 1, re: regexp.MustCompile(`\b(9\d|1[0-4]\d)\s*(?:M|F|m|f|yo|YO)\b`)},
	{name: "age-decade", typ: Age, re: regexp.MustCompile(`(?i)\b(?:ninety|centenarian|one hundred)(?:[\s\-](?:one|two|three|four|five|six|seven|eight|nine))?(?:[\s\-]years?)?\b|\bin (?:his|her|their) (?:90s|90's|nineties)\b`)},
	// identifiers after a context word
	{name: "mrn", typ: MRN, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:mrn|mr#|medical record|med rec)` + idGlue + idValue)},
	{name: "mrn-weak", typ: MRN, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:mr|record|unit|hospital|chart|patient|pt|history)` + idGlueRequired + idValue)},
	{name: "health-plan", typ: HealthPlan, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:member|policy|insurance|health plan|plan|subscriber|group|medicare|medicaid|beneficiary|hicn|mbi|insured)` + idGlue + idValue)},
	{name: "account", typ: Account, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:account|acct|billing|bill|encounter|visit|fin|csn|har|invoice)` + idGlue + idValue)},
	{name: "license", typ: License, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:licen[cs]e|lic|dea|npi|certificate|cert|certification|dl|driver'?s licen[cs]e|registration|upin|tin)` + idGlue + idValue)},
	{name: "vehicle", typ: Vehicle, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:vin|vehicle(?: identification)?|plate|tag|car|truck|van)` + idGlue + `((?:[A-Za-z]{1,4}[ \-]?)?\d[A-Za-z0-9\-]*)`)},
	{name: "vin", typ: Vehicle, check: checkID, re: regexp.MustCompile(`\b[A-HJ-NPR-Z0-9]{17}\b`)},
	{name: "device", typ: Device, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:serial|s/n|sn|device|model|lot|udi|implant|pacemaker|defibrillator|icd|pump|catalog|cat|ref)` + idGlue + idValue)},
	{name: "id-context", typ: ID, group: 1, check: checkID, re: regexp.MustCompile(`(?i)\b(?:id|identifier|number|no\.|#|case|specimen|accession|order|requisition|req|reference|claim|confirmation|ticket|study|trial|badge|employee|passport|username|user)` + idGlue + idValue)},
	{name: "id-shape", typ: ID, check: checkIDShape, re: regexp.MustCompile(`\b[A-Za-z]{0,4}\d[\dA-Za-z\-]{4,}\b`)},
	// geography
	{name: "street", typ: Street, re: regexp.MustCompile(`\b\d{1,6}(?:-\d{1,4})?[A-Za-z]?\s+(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?\s+)?(?:(?:[A-Z][a-zA-Z'\-]*\.?|\d{1,3}(?:st|nd|rd|th))\s+){1,4}(?:` + streetSf + `)\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?(?:,?\s*(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Room|Rm\.?|Floor|Fl\.?|#)\s*#?[A-Za-z0-9\-]+)?`)},
	{name: "street-context", typ: Street, group: 1, re: regexp.MustCompile(`(?i:address|addr|lives at|living at|resides at|residing at|home at|located at)\s*:?\s+(\d{1,6}[A-Za-z]?\s+(?:[A-Z][a-zA-Z'\-]*\.?\s?){1,4}(?:,?\s*(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|#)\s*#?[A-Za-z0-9\-]+)?)`)},
	{name: "po-box", typ: Street, re: regexp.MustCompile(`(?i)\bP\.?\s*O\.?\s*Box\s+\d+\b`)},
	{name: "zip-state", typ: ZIP, group: 1, re: regexp.MustCompile(`\b` + stateAlt + `[,.]?\s+(\d{5}(?:-\d{4})?)\b`)},
	{name: "zip-context", typ: ZIP, group: 1, re: regexp.MustCompile(`(?i)\b(?:zip|zip code|zipcode|postal code|postcode)\s*(?:is|:|#)?\s*(\d{5}(?:-\d{4})?)\b`)},
	{name: "zip4", typ: ZIP, re: regexp.MustCompile(`\b\d{5}-\d{4}\b`)},
	{name: "city-state", typ: City, group: 1, check: checkCity, re: regexp.MustCompile(`\b((?:(?:St\.|Ft\.|Mt\.)\s+)?[A-Z][a-zA-Z'\-]+(?:[ \-][A-Z][a-zA-Z'\-]+){0,2})(?:,\s*` + stateAltStrict + `(?:[^A-Za-z]|$)|,?\s+` + stateAlt + `\s+\d{5}\b)`)},
	{name: "city-context", typ: City, group: 1, check: checkPlaceWord, re: regexp.MustCompile(`(?i:lives|living|lived|resides|residing|resident|moved|relocated|born|raised|visiting|visited|traveled|travelled|trip|vacation|native|home|from|near|in|to|at|of)\s+(?i:in\s+|to\s+|from\s+|of\s+|at\s+)?((?:(?:St\.|Ft\.|Mt\.)\s+)?[A-Z][a-zA-Z'\-]+(?:\s[A-Z][a-zA-Z'\-]+){0,2})`)},
	{name: "hospital", typ: Hospital, check: checkHospital, re: regexp.MustCompile(`\b(?:(?:St\.|Saint|Mt\.|Mount|[A-Z][a-zA-Z'\-&]*|of|the|and|for|&)\s+){0,6}(?:Hospital|HOSPITAL|Clinic|CLINIC|Infirmary|Hospice|Institute|Medical Center|MEDICAL CENTER|Med Ctr|Health Center|Health System|Healthcare|Health Care|Nursing Home|Nursing Center|Nursing Facility|Care Center|Rehab(?:ilitation)?(?: Center| Hospital| Facility)?|Pharmacy|Manor|Sanitarium|Surgery Center|Surgical Center|Cancer Center|Heart Center|Children's)\b(?:\s+(?:of|at|in)\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?`)},
	// names
	{name: "name-title", typ: Name, group: 1, check: checkNameAfterTitle, re: regexp.MustCompile(`\b(?:Dr|DR|Drs|Doctor|Mr|MR|Mrs|MRS|Ms|MS|Miss|Mx|Prof|Professor|Rev|Sister|Nurse|Dear|Attn)\.?\s+(` + capWords3 + `)`)},
	{name: "name-credential", typ: Name, group: 1, check: checkNameBeforeCredential, re: regexp.MustCompile(`\b(` + capWord + `(?:\s+` + capWord + `){0,3}),?\s+(?:M\.D\.|MD|D\.O\.|DO|R\.N\.|RN|N\.P\.|NP|P\.A\.(?:-C)?|PA-C|PA|Ph\.D\.|PhD|MSW|LICSW|LCSW|CNM|CRNA|DDS|DMD|DPM|PharmD|RPh|LPN|FNP|ANP|MBBS|FACS|FACP|RRT|CNA|MPH)\b`)},
	{name: "name-context", typ: Name, group: 1, check: checkNameAfterContext, re: regexp.MustCompile(`\b(?i:pleasure of seeing|seeing|seen by|seen with|referred by|dictated by|signed by|reviewed by|attending|resident|intern|fellow|surgeon|physician|pcp|provider|cc|name|patient|pt|son|daughter|wife|husband|mother|father|mom|dad|sister|brother|spouse|partner|friend|niece|nephew|aunt|uncle|grandson|granddaughter|grandmother|grandfather|cousin|guardian|proxy|hcp|neighbor|caregiver|fiance|fiancee|boyfriend|girlfriend|per|with|by|to|from|dear|contact|called|spoke with|discussed with|d/w|notified|paged|informed|and|md|rn|np|transcribed by|author|dictator|sibling|child|children|named|called|, )[\s:,]+(` + capWords3 + `)`)},
	{name: "name-field", typ: Name, group: 1, check: checkNameField, re: regexp.MustCompile(`(?im)^[ \t]*(?:patient(?:'s)? name|pt name|name|patient|attending|attending physician|pcp|primary care physician|referring physician|referring provider|provider|dictated by|cc|signed|surgeon|assistant|anesthesiologist|resident|nurse|rn|np|emergency contact|contact|next of kin|nok|guarantor|health care proxy)[ \t]*:[ \t]*(` + capWord + `(?:,? ` + capWord + `){0,4})`)},
	{name: "name-last-first", typ: Name, check: checkLastFirst, re: regexp.MustCompile(`\b([A-Z][a-zA-Z'\-]+),\s*([A-Z][a-zA-Z'\-]+)(?:\s+[A-Z]\.?)?\b`)},
}

// faxIfSaid makes a phone number a fax when "fax" comes just before it.
func faxIfSaid(text string, m []int, s, e int) (Type, bool) {
	digits := 0
	for _, r := range text[s:e] {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 4 || digits > 15 {
		return "", false
	}
	from := max(0, s-24)
	if strings.Contains(strings.ToLower(text[from:s]), "fax") {
		return Fax, true
	}
	return Phone, true
}

// checkLocalPhone keeps a seven-digit 555-1234 unless it reads as a range
// of values: "250-1000 mL", "from 100-1200".
func checkLocalPhone(text string, m []int, s, e int) (Type, bool) {
	if unitAfter.MatchString(text[e:min(len(text), e+10)]) || rangeBefore.MatchString(text[max(0, s-12):s]) {
		return "", false
	}
	if s > 0 && (text[s-1] == '-' || text[s-1] == '/') {
		return "", false
	}
	return faxIfSaid(text, m, s, e)
}

var rangeBefore = regexp.MustCompile(`(?i)(?:from|between|range|ranging|of|to|bp|hr|rr|sbp|dbp|count|ebl|ml|cc)\W{0,3}$`)

// notDateBefore and notDateAfter are words near a number pair like 5/5 or
// 120/80 that make it a score, fraction, pressure or ratio, not a date.
var notDateBefore = regexp.MustCompile(`(?i)(?:strength|motor|grade|graded|bp|b/p|blood pressure|pressure|pressures|vision|acuity|visual|murmur|pulses?|reflexes|dtrs?|score|scale|gcs|apgar|ratio|ef|sounds|power|rated|pain|tone|hearing|distance|va|os|od|ou|tm|tms|iop|pupils?|equal|fluid|g|gravida|para|out of|level|levels|of|times|x|about|approximately|~|-|\d)\W{0,3}$`)

var notDateAfter = regexp.MustCompile(`(?i)^\W{0,2}(?:mm|mmhg|strength|murmur|bilaterally|bilateral|throughout|pain|inch|inches|cm|mm|tab|tabs|tablet|tablets|cup|cups|teaspoon|tsp|dose|doses|hours|hour|hrs|days|weeks|times|x|score|scale|power|vision|grade|systolic|diastolic|holosystolic|diastolic|bpm|%|ppd|pack|packs|cc|ml|mg|units?|lb|lbs|kg|oz|dtr|dtrs|reflexes|sounds|ratio)\b`)

// checkNumericDate accepts m/d, m/d/y and m-d-y forms whose month and day
// are in range (either order), and vetoes a bare pair that reads as a score,
// fraction or blood pressure.
func checkNumericDate(text string, m []int, s, e int) (Type, bool) {
	a, _ := strconv.Atoi(text[m[2]:m[3]])
	b, _ := strconv.Atoi(text[m[6]:m[7]])
	sep := text[m[4]:m[5]]
	hasYear := m[8] >= 0
	if hasYear && text[m[8]:m[9]] != sep {
		return "", false
	}
	okMD := a >= 1 && a <= 12 && b >= 1 && b <= 31
	okDM := b >= 1 && b <= 12 && a >= 1 && a <= 31
	if !okMD && !okDM {
		return "", false
	}
	if hasYear {
		if sep == "." && e < len(text) && text[e] == '.' && e+1 < len(text) && text[e+1] >= '0' && text[e+1] <= '9' {
			return "", false // a version or an address, not a date
		}
		return Date, true
	}
	if sep == "." {
		return "", false // 3.4 is a number
	}
	// a bare pair: x/x scores and context words veto it
	if a == b && a <= 5 {
		return "", false
	}
	if s > 0 && (text[s-1] == '/' || text[s-1] == '+' || text[s-1] == '.') || e < len(text) && (text[e] == '/' || text[e] == '+' || text[e] == '%') {
		return "", false
	}
	if e+1 < len(text) && text[e] == '.' && text[e+1] >= '0' && text[e+1] <= '9' {
		return "", false
	}
	before := text[max(0, s-28):s]
	after := text[e:min(len(text), e+16)]
	if notDateBefore.MatchString(before) || notDateAfter.MatchString(after) {
		return "", false
	}
	if sep == "-" && !dateCue.MatchString(before) {
		return "", false // 3-4 is more often a range than a date
	}
	return Date, true
}

var dateCue = regexp.MustCompile(`(?i)(?:on|since|dated|date|dos|doa|dob|from|until|till|by|admitted|discharged|seen|last|next|of)\W{0,3}$`)

// checkLoneMonth keeps a month name standing alone, except "May" (a verb)
// and "March" (a verb) unless a date cue comes before them.
func checkLoneMonth(text string, m []int, s, e int) (Type, bool) {
	w := text[s:e]
	if w == "May" || w == "March" {
		before := text[max(0, s-16):s]
		if !monthCue.MatchString(before) {
			return "", false
		}
	}
	return Date, true
}

var monthCue = regexp.MustCompile(`(?i)(?:in|since|of|early|late|mid|during|until|till|last|next|this|by|from|through|before|after)\W{1,3}$`)

// checkOrdinalDay keeps "the 14th" unless a noun follows that makes it a
// rank: "the 3rd finger", "the 2nd trimester".
func checkOrdinalDay(text string, m []int, s, e int) (Type, bool) {
	n, _ := strconv.Atoi(strings.TrimRightFunc(text[s:e], unicode.IsLetter))
	if n < 1 || n > 31 {
		return "", false
	}
	rest := strings.TrimLeft(text[e:min(len(text), e+24)], " \t")
	if rest != "" {
		r, _ := utf8.DecodeRuneInString(rest)
		if unicode.IsLower(r) && !strings.HasPrefix(rest, "of ") && !strings.HasPrefix(rest, "at ") && !strings.HasPrefix(rest, "and ") {
			return "", false
		}
	}
	return Date, true
}

// checkID keeps an identifier with at least two digits that is not a
// plain measurement.
func checkID(text string, m []int, s, e int) (Type, bool) {
	v := text[s:e]
	if countDigits(v) < 3 || len(v) < 4 {
		return "", false
	}
	after := text[e:min(len(text), e+10)]
	if unitAfter.MatchString(after) {
		return "", false
	}
	return "", true
}

// rangeLike matches ranges and settings that look like codes: 110-130,
// 100-120s, 500x14.
var rangeLike = regexp.MustCompile(`^\d{1,4}(?:-|x|X)\d{1,4}s?$`)

var codeBefore = regexp.MustCompile(`(?i)(?:cpt|icd|icd-9|icd-10|code|codes|dx|hcpcs|drg)\W{0,4}$`)

var unitAfter = regexp.MustCompile(`(?i)^\s?(?:mg|mcg|g|kg|ml|cc|l|mm|cm|mmhg|units?|iu|meq|mmol|%|lbs?|oz|hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?|x)\b`)

// checkIDShape keeps a long number or a code of letters and digits with
// at least five digits, unless it is a measurement or has a decimal point.
func checkIDShape(text string, m []int, s, e int) (Type, bool) {
	v := text[s:e]
	if countDigits(v) < 5 || rangeLike.MatchString(v) {
		return "", false
	}
	if e < len(text) && (text[e] == '.' || text[e] == ',') && e+1 < len(text) && text[e+1] >= '0' && text[e+1] <= '9' {
		return "", false
	}
	if s > 0 && (text[s-1] == '.' || text[s-1] == ',') {
		return "", false
	}
	if unitAfter.MatchString(text[e:min(len(text), e+10)]) || codeBefore.MatchString(text[max(0, s-16):s]) {
		return "", false
	}
	return ID, true
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// common reports whether a capitalised word is ordinary clinical
// vocabulary (seen in lower case, or mid-sentence in clinical text) rather
// than likely PHI.
func (d *dicts) common(w string) bool {
	lw := lower(strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "."))
	return d.clinical[lw] || d.clinicalCap[lw] || stopCaps[lw]
}

// stopCaps are capitalised words that start phrases, never names.
var stopCaps = map[string]bool{
	"the": true, "a": true, "an": true, "this": true, "that": true, "he": true, "she": true, "his": true, "her": true,
	"they": true, "we": true, "i": true, "it": true, "patient": true, "pt": true, "mr": true, "mrs": true, "ms": true,
	"dr": true, "md": true, "rn": true, "np": true, "pa": true, "do": true, "history": true, "hospital": true,
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true, "july": true,
	"august": true, "september": true, "october": true, "november": true, "december": true, "monday": true,
	"tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"and": true, "or": true, "of": true, "in": true, "on": true, "at": true, "to": true, "for": true, "with": true,
	"tol": true, "cont": true, "pos": true, "neg": true, "abd": true, "resp": true, "neuro": true, "skin": true,
	"plan": true, "dispo": true, "social": true, "events": true, "labs": true, "access": true, "heme": true,
	"endo": true, "activity": true, "mae": true, "encounter": true, "member": true, "account": true,
	"mrn": true, "dob": true, "ssn": true, "id": true, "age": true, "sex": true, "date": true, "phone": true, "fax": true,
	"no": true, "not": true, "yes": true, "if": true, "as": true, "is": true, "was": true, "has": true, "had": true,
}

// trimName drops leading and trailing words of a capitalised run that are
// ordinary vocabulary, returning the byte range of what is left.
func trimName(text string, s, e int, d *dicts) (int, int, bool) {
	toks := Tokenize(text[s:e])
	lo, hi := 0, len(toks)
	keep := func(t Token) bool {
		if t.Text == "." || t.Text == "-" || t.Text == "'" {
			return false
		}
		if len(t.Text) == 1 && isCapitalised(t.Text) && s+t.End < len(text) && text[s+t.End] == '.' {
			return true // an initial
		}
		return !d.common(t.Text) || d.first[lower(t.Text)] && !d.clinical[lower(t.Text)]
	}
	for lo < hi && !keep(toks[lo]) {
		lo++
	}
	for hi > lo && !keep(toks[hi-1]) {
		hi--
	}
	if lo == hi {
		return 0, 0, false
	}
	ns, ne := s+toks[lo].Start, s+toks[hi-1].End
	// keep an initial's period: "J."
	if ne < len(text) && text[ne] == '.' && toks[hi-1].End-toks[hi-1].Start == 1 {
		ne++
	}
	return ns, ne, true
}

// The name checks below return ok with an empty type to keep the rule's
// type; the span may be narrowed by detect through trimName.
func checkNameAfterTitle(text string, m []int, s, e int) (Type, bool) { return "", true }

func checkNameBeforeCredential(text string, m []int, s, e int) (Type, bool) { return "", true }

// checkNameAfterContext needs a word that is a known first or last name
// and not ordinary vocabulary, or a relation word before it.
func checkNameAfterContext(text string, m []int, s, e int) (Type, bool) {
	d := loadDicts()
	cue := lower(strings.TrimSpace(text[m[0]:m[2]]))
	cue = strings.TrimRight(cue, " :,")
	strong := strongNameCue[cue]
	for _, t := range Tokenize(text[s:e]) {
		lw := lower(t.Text)
		if d.common(t.Text) && !(d.first[lw] && !d.clinical[lw]) || isAllCapsWord(t.Text) && len(t.Text) <= 4 || usStates[t.Text] {
			continue
		}
		if strong || d.first[lw] || d.last[lw] {
			return "", true
		}
	}
	return "", false
}

var strongNameCue = map[string]bool{
	"seen by": true, "referred by": true, "dictated by": true, "signed by": true, "reviewed by": true, "attending": true,
	"resident": true, "intern": true, "fellow": true, "surgeon": true, "physician": true, "pcp": true, "provider": true,
	"cc": true, "name": true, "son": true, "daughter": true, "wife": true, "husband": true, "mother": true, "father": true,
	"mom": true, "dad": true, "sister": true, "brother": true, "spouse": true, "partner": true, "friend": true,
	"niece": true, "nephew": true, "aunt": true, "uncle": true, "grandson": true, "granddaughter": true,
	"grandmother": true, "grandfather": true, "cousin": true, "guardian": true, "proxy": true, "hcp": true,
	"neighbor": true, "caregiver": true, "fiance": true, "fiancee": true, "boyfriend": true, "girlfriend": true,
	"dear": true, "spoke with": true, "discussed with": true, "d/w": true, "paged": true, "transcribed by": true,
	"author": true, "dictator": true, "named": true, "seen with": true, "pleasure of seeing": true, "seeing": true,
}

// checkNameField keeps the name-like words of a "Name: ..." field.
func checkNameField(text string, m []int, s, e int) (Type, bool) {
	d := loadDicts()
	for _, t := range Tokenize(text[s:e]) {
		r, _ := utf8.DecodeRuneInString(t.Text)
		if unicode.IsUpper(r) && !d.common(t.Text) {
			return "", true
		}
	}
	return "", false
}

// checkLastFirst keeps "Smith, John" when one of the two is a known name
// and neither is ordinary vocabulary.
func checkLastFirst(text string, m []int, s, e int) (Type, bool) {
	d := loadDicts()
	a, b := text[m[2]:m[3]], text[m[4]:m[5]]
	if d.common(a) || d.common(b) || usStates[b] {
		return "", false
	}
	if d.last[lower(a)] || d.first[lower(b)] {
		return "", true
	}
	return "", false
}

// checkCity keeps "Springfield, MA" unless the words are ordinary
// vocabulary.
func checkCity(text string, m []int, s, e int) (Type, bool) {
	for _, t := range Tokenize(text[s:e]) {
		if stopCaps[lower(t.Text)] || hospitalHeads[lower(t.Text)] {
			return "", false
		}
	}
	return City, true
}

// checkPlaceWord keeps a capitalised phrase after "lives in" and the like
// when it is a known US place and not ordinary vocabulary.
func checkPlaceWord(text string, m []int, s, e int) (Type, bool) {
	d := loadDicts()
	p := lower(text[s:e])
	if !d.places[p] {
		return "", false
	}
	if d.common(text[s:e]) && !usStatesLower[p] {
		return "", false
	}
	if usStatesLower[p] {
		return "", false
	}
	return "", true
}

var usStatesLower = func() map[string]bool {
	m := map[string]bool{}
	for s := range usStates {
		m[lower(s)] = true
	}
	return m
}()

// checkHospital keeps a care-site phrase with at least one distinctive
// word ("Mercy General Hospital"), after dropping leading lower-case words.
func checkHospital(text string, m []int, s, e int) (Type, bool) {
	for _, t := range Tokenize(text[s:e]) {
		lw := lower(t.Text)
		if len(lw) < 2 || hospitalWords[lw] || genericSite[lw] {
			continue
		}
		r, _ := utf8.DecodeRuneInString(t.Text)
		if unicode.IsUpper(r) {
			return "", true
		}
	}
	return "", false
}

var genericSite = map[string]bool{
	"the": true, "of": true, "and": true, "for": true, "emergency": true, "intensive": true, "department": true,
	"unit": true, "room": true, "surgery": true, "surgical": true, "cancer": true, "heart": true, "outpatient": true,
	"inpatient": true, "our": true, "this": true, "at": true, "in": true, "children's": true, "eye": true, "pain": true,
	"wound": true, "dialysis": true, "primary": true, "urgent": true, "walk": true, "family": true, "women's": true,
	"sleep": true, "vascular": true, "cardiology": true, "oncology": true, "physical": true, "therapy": true,
	"mental": true, "behavioral": true, "dental": true, "hospital's": true, "st": true, "mt": true, "saint": true,
	"hospice": true, "skilled": true, "assisted": true, "living": true, "long": true, "term": true, "acute": true,
	"admitted": true, "transferred": true, "discharged": true, "seen": true, "from": true, "to": true, "was": true,
	"patient": true, "he": true, "she": true, "his": true, "her": true, "a": true, "an": true,
}
