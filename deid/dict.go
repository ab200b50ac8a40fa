package deid

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"strings"
	"sync"
)

// The dictionaries are vendored under data/ with their licences; see
// data/ORIGIN.md.
//
//go:embed data/*.txt.gz
var dataFS embed.FS

// dicts are the word lists detection uses, loaded once.
type dicts struct {
	first, last, places map[string]bool // lower-cased entries
	clinical            map[string]bool // words seen in lower case in clinical text: ambiguous as names
	clinicalCap         map[string]bool // capitalised words seen mid-sentence in clinical text: eponyms, drugs
}

var (
	dictOnce sync.Once
	dictData *dicts
)

func loadDicts() *dicts {
	dictOnce.Do(func() {
		dictData = &dicts{
			first:       readList(dataFS, "data/first-names.txt.gz"),
			last:        readList(dataFS, "data/last-names.txt.gz"),
			places:      readList(dataFS, "data/us-places.txt.gz"),
			clinical:    readList(dataFS, "data/clinical-words.txt.gz"),
			clinicalCap: readList(dataFS, "data/clinical-capitalized.txt.gz"),
		}
		for _, c := range majorCities {
			dictData.places[lower(c)] = true
		}
	})
	return dictData
}

// readList reads a gzipped list of one entry a line into a set of
// lower-cased entries. The files are embedded, so an error is a build
// defect and panics.
func readList(fs embed.FS, name string) map[string]bool {
	b, err := fs.ReadFile(name)
	if err != nil {
		panic("deid: " + err.Error())
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		panic("deid: " + name + ": " + err.Error())
	}
	set := map[string]bool{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			set[lower(w)] = true
		}
	}
	if err := sc.Err(); err != nil {
		panic("deid: " + name + ": " + err.Error())
	}
	return set
}

func lower(s string) string { return strings.ToLower(s) }

// usStates maps the names and postal abbreviations of US states and
// territories (context for cities and ZIP codes; not PHI themselves).
var usStates = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Split("Alabama AL|Alaska AK|Arizona AZ|Arkansas AR|California CA|Colorado CO|Connecticut CT|Delaware DE|Florida FL|Georgia GA|Hawaii HI|Idaho ID|Illinois IL|Indiana IN|Iowa IA|Kansas KS|Kentucky KY|Louisiana LA|Maine ME|Maryland MD|Massachusetts MA|Michigan MI|Minnesota MN|Mississippi MS|Missouri MO|Montana MT|Nebraska NE|Nevada NV|New Hampshire NH|New Jersey NJ|New Mexico NM|New York NY|North Carolina NC|North Dakota ND|Ohio OH|Oklahoma OK|Oregon OR|Pennsylvania PA|Rhode Island RI|South Carolina SC|South Dakota SD|Tennessee TN|Texas TX|Utah UT|Vermont VT|Virginia VA|Washington WA|West Virginia WV|Wisconsin WI|Wyoming WY|District of Columbia DC|Puerto Rico PR|Guam GU", "|") {
		i := strings.LastIndexByte(s, ' ')
		m[s[:i]] = true
		m[s[i+1:]] = true
	}
	for _, a := range []string{"Mass.", "Calif.", "Fla.", "Penn.", "Conn.", "Mich.", "Minn.", "Tenn.", "Wash.", "Wis.", "Ariz.", "Colo.", "Ill.", "Ind.", "Md.", "Mo.", "N.Y.", "N.J.", "N.H.", "Va.", "Ga.", "Tex.", "Ore."} {
		m[a] = true
	}
	return m
}()

// majorCities adds large US cities that the place list may lack.
var majorCities = []string{
	"New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia", "San Antonio", "San Diego", "Dallas",
	"San Jose", "Austin", "Jacksonville", "San Francisco", "Columbus", "Fort Worth", "Indianapolis", "Charlotte",
	"Seattle", "Denver", "Boston", "El Paso", "Nashville", "Detroit", "Oklahoma City", "Portland", "Las Vegas",
	"Memphis", "Louisville", "Baltimore", "Milwaukee", "Albuquerque", "Tucson", "Fresno", "Sacramento", "Kansas City",
	"Atlanta", "Miami", "Omaha", "Raleigh", "Cleveland", "Minneapolis", "Tulsa", "Pittsburgh", "Cincinnati",
	"St. Louis", "Saint Louis", "New Orleans", "Salt Lake City", "Worcester", "Cambridge", "Brookline", "Newton",
	"Somerville", "Quincy", "Framingham", "Lowell", "Springfield", "Providence", "Hartford", "New Haven",
}

// hospitalWords end (or start) the name of a care site: "Mercy General
// Hospital", "Beth Israel Deaconess Medical Center".
var hospitalWords = map[string]bool{
	"hospital": true, "hospitals": true, "clinic": true, "clinics": true, "infirmary": true, "sanitarium": true,
	"center": true, "centre": true, "medical": true, "health": true, "healthcare": true, "institute": true,
	"rehab": true, "rehabilitation": true, "nursing": true, "home": true, "hospice": true, "manor": true,
	"memorial": true, "general": true, "university": true, "college": true, "school": true, "pavilion": true,
	"care": true, "house": true, "lodge": true, "village": true, "residence": true, "facility": true, "pharmacy": true,
}

// hospitalHeads are words that make a capitalised phrase a care site.
var hospitalHeads = map[string]bool{
	"hospital": true, "clinic": true, "infirmary": true, "sanitarium": true, "hospice": true, "institute": true,
	"rehab": true, "rehabilitation": true, "pharmacy": true, "manor": true, "healthcare": true,
}
