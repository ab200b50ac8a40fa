package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Mode is how identifiers are replaced in the output text.
type Mode string

// The output modes.
const (
	// ModeTag replaces each identifier by its type in brackets: [**NAME**].
	ModeTag Mode = "tag"
	// ModeRedact replaces each character of an identifier but line breaks
	// by '*', so the text keeps its length and layout.
	ModeRedact Mode = "redact"
	// ModeSurrogate replaces identifiers by realistic fakes, consistent
	// within a document and across a patient's documents.
	ModeSurrogate Mode = "surrogate"
)

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeTag, ModeRedact, ModeSurrogate:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want tag, redact or surrogate", s)
}

// Apply returns text with spans (character offsets, sorted, not
// overlapping, as Detect returns them) replaced as mode says. A
// surrogate mode needs s; the others ignore it. patient keys the
// surrogates.
func Apply(text string, spans []Span, mode Mode, s *Surrogator, patient string) (string, error) {
	bo, ok := byteOffsets(text, spans)
	if !ok {
		return "", fmt.Errorf("deid: span outside the text")
	}
	var sb strings.Builder
	prev := 0
	for i, sp := range spans {
		st, en := bo[i][0], bo[i][1]
		if st < prev {
			return "", fmt.Errorf("deid: spans overlap or are not sorted at %d", sp.Start)
		}
		sb.WriteString(text[prev:st])
		v := text[st:en]
		switch mode {
		case ModeTag:
			sb.WriteString("[**" + string(sp.Type) + "**]")
		case ModeRedact:
			for _, r := range v {
				if r == '\n' || r == '\r' {
					sb.WriteRune(r)
				} else {
					sb.WriteByte('*')
				}
			}
		case ModeSurrogate:
			if s == nil {
				return "", fmt.Errorf("deid: surrogate mode without a surrogator")
			}
			sb.WriteString(s.Replace(patient, sp.Type, v))
		default:
			return "", fmt.Errorf("deid: unknown mode %q", mode)
		}
		prev = en
	}
	sb.WriteString(text[prev:])
	return sb.String(), nil
}

// Surrogator makes realistic fake identifiers. Every choice is a keyed
// hash of the secret key, the patient and the original value, so the same
// name gets the same fake name in all of a patient's documents, and every
// date of a patient moves by the same number of days (a multiple of 7 when
// KeepWeekdays), which keeps intervals. Without the key the mapping cannot
// be undone or recomputed.
type Surrogator struct {
	key          []byte
	KeepWeekdays bool
	// MaxShiftDays bounds the date shift (default 365): each patient's
	// shift is in [-MaxShiftDays, -1] or [1, MaxShiftDays].
	MaxShiftDays int
}

// fakeLists are the fake values of the surrogates, loaded once.
type fakeLists struct {
	once                      sync.Once
	first, last, city, street []string
}

var surrogatePools fakeLists

// NewSurrogator returns a surrogator keyed by key (a secret; an empty key
// still works but makes the mapping recomputable by anyone).
func NewSurrogator(key []byte) *Surrogator {
	return &Surrogator{key: append([]byte(nil), key...), MaxShiftDays: 365}
}

// WithKeepWeekdays returns a surrogator with the same key that shifts
// dates by whole weeks.
func (s *Surrogator) WithKeepWeekdays() *Surrogator {
	c := *s
	c.KeepWeekdays = true
	return &c
}

func fakePools() *fakeLists {
	p := &surrogatePools
	p.once.Do(func() {
		p.first = readGenList("gendata/faker-first.txt.gz")
		p.last = readGenList("gendata/faker-last.txt.gz")
		p.city = readGenList("gendata/faker-city.txt.gz")
		p.street = readGenList("gendata/faker-street.txt.gz")
	})
	return p
}

// hash returns a keyed 64-bit hash of the parts.
func (s *Surrogator) hash(parts ...string) uint64 {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return binary.BigEndian.Uint64(m.Sum(nil))
}

// ShiftDays returns the patient's date shift in days.
func (s *Surrogator) ShiftDays(patient string) int {
	maxd := s.MaxShiftDays
	if maxd <= 0 {
		maxd = 365
	}
	h := s.hash("shift", patient)
	if s.KeepWeekdays {
		weeks := max(maxd/7, 1)
		d := 7 * (1 + int(h%uint64(weeks)))
		if h>>63 == 1 {
			d = -d
		}
		return d
	}
	d := 1 + int(h%uint64(maxd))
	if h>>63 == 1 {
		d = -d
	}
	return d
}

// Replace returns the surrogate of one identifier.
func (s *Surrogator) Replace(patient string, t Type, v string) string {
	p := fakePools()
	pick := func(list []string, parts ...string) string {
		return list[s.hash(append([]string{patient}, parts...)...)%uint64(len(list))]
	}
	switch t {
	case Name:
		return s.name(patient, v)
	case Date:
		return s.date(patient, v)
	case Age:
		return "90+"
	case Email:
		f, l := lower(pick(p.first, "email-first", lower(v))), lower(pick(p.last, "email-last", lower(v)))
		return strings.ReplaceAll(f+"."+l, " ", "") + "@example.com"
	case URL:
		return fmt.Sprintf("www.example-%d.org", s.hash(patient, "url", lower(v))%1000)
	case IP:
		return fmt.Sprintf("192.0.2.%d", 1+s.hash(patient, "ip", v)%254)
	case City, Location:
		return matchCase(v, pick(p.city, "city", lower(v)))
	case Hospital:
		return matchCase(v, pick(p.city, "hospital", lower(v))+" "+[]string{"General Hospital", "Medical Center", "Community Hospital"}[s.hash(patient, "hosp-kind", lower(v))%3])
	case Street:
		return fmt.Sprintf("%d %s", 1+s.hash(patient, "street-no", lower(v))%9999, pick(p.street, "street", lower(v)))
	}
	// numbers and codes: same shape, keyed digits and letters
	return s.reshape(patient, string(t), v)
}

// reshape keeps v's punctuation and replaces each digit by a digit and
// each letter by a letter of the same case.
func (s *Surrogator) reshape(patient, kind, v string) string {
	h := s.hash(patient, kind, v)
	var sb strings.Builder
	for i, r := range v {
		x := (h >> (uint(i*5) % 59)) ^ uint64(i*0x9e37)
		switch {
		case r >= '0' && r <= '9':
			sb.WriteByte(byte('0' + x%10))
		case r >= 'A' && r <= 'Z':
			sb.WriteByte(byte('A' + x%26))
		case r >= 'a' && r <= 'z':
			sb.WriteByte(byte('a' + x%26))
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// name replaces each word of a name by a fake first or last name (first
// when the word is a known first name), keeping case, initials and
// punctuation: "SMITH, John A." -> "NOLAN, Grace K.".
func (s *Surrogator) name(patient, v string) string {
	d := loadDicts()
	p := fakePools()
	var sb strings.Builder
	prev := 0
	for _, t := range Tokenize(v) {
		sb.WriteString(v[prev:t.Start])
		prev = t.End
		w := t.Text
		if !isWordRune([]rune(w)[0]) {
			sb.WriteString(w)
			continue
		}
		if utf8.RuneCountInString(w) == 1 {
			sb.WriteByte(byte('A' + s.hash(patient, "initial", lower(w))%26))
			continue
		}
		list := p.last
		if d.first[lower(w)] {
			list = p.first
		}
		sb.WriteString(matchCase(w, list[s.hash(patient, "name", lower(w))%uint64(len(list))]))
	}
	sb.WriteString(v[prev:])
	return sb.String()
}

// matchCase writes fake in the case style of orig: all caps, all lower,
// or as it is.
func matchCase(orig, fake string) string {
	hasLetter := false
	up, low := true, true
	for _, r := range orig {
		if unicode.IsLetter(r) {
			hasLetter = true
			up = up && unicode.IsUpper(r)
			low = low && unicode.IsLower(r)
		}
	}
	switch {
	case !hasLetter:
		return fake
	case up && utf8.RuneCountInString(orig) > 1:
		return strings.ToUpper(fake)
	case low:
		return strings.ToLower(fake)
	}
	return fake
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

var weekdayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// holidays maps fixed-date holidays to month and day.
var holidays = map[string][2]int{"christmas": {12, 25}, "christmas day": {12, 25}, "christmas eve": {12, 24}, "new year's day": {1, 1}, "new years day": {1, 1}, "new year's eve": {12, 31}, "halloween": {10, 31}, "independence day": {7, 4}, "fourth of july": {7, 4}, "valentine's day": {2, 14}, "veterans day": {11, 11}}

// dateToken is one part of a date string: its byte range and role.
type dateToken struct {
	start, end int
	role       byte // 'm' month number, 'M' month name, 'd' day, 'y' year, 'w' weekday
}

// date shifts a date string by the patient's offset and writes it back in
// the same format: each part (month, day, year, weekday) is replaced in
// place, so "3/4/98", "March 4th, 1998" and "04-Mar-1998" all keep their
// shape. A date it cannot read is tagged [**DATE**].
func (s *Surrogator) date(patient, v string) string {
	shift := s.ShiftDays(patient)
	if md, ok := holidays[lower(v)]; ok {
		t := time.Date(2001, time.Month(md[0]), md[1], 0, 0, 0, 0, time.UTC).AddDate(0, 0, shift)
		return fmt.Sprintf("%s %d", t.Month(), t.Day())
	}
	toks := Tokenize(v)
	var parts []dateToken
	var nums []int
	for i, t := range toks {
		lw := strings.TrimSuffix(lower(t.Text), ".")
		switch {
		case monthIndex(lw) > 0:
			parts = append(parts, dateToken{t.Start, t.End, 'M'})
		case weekdayIndex(lw) >= 0:
			parts = append(parts, dateToken{t.Start, t.End, 'w'})
		case t.Text[0] >= '0' && t.Text[0] <= '9':
			parts = append(parts, dateToken{t.Start, t.End, '?'})
			nums = append(nums, len(parts)-1)
		default:
			_ = i
		}
	}
	if len(parts) == 0 {
		return "[**DATE**]"
	}
	// assign roles to the numbers
	hasMonthName := false
	for _, p := range parts {
		hasMonthName = hasMonthName || p.role == 'M'
	}
	numVal := func(p dateToken) int {
		n, _ := strconv.Atoi(strings.TrimRightFunc(v[p.start:p.end], unicode.IsLetter))
		return n
	}
	switch {
	case hasMonthName:
		for _, i := range nums {
			p := &parts[i]
			n := numVal(*p)
			if p.end-p.start >= 4 && n > 31 || strings.HasPrefix(v[max(0, p.start-1):], "'") || n > 31 {
				p.role = 'y'
			} else if hasDay(parts) {
				p.role = 'y'
			} else {
				p.role = 'd'
			}
		}
	case len(nums) >= 3 && parts[nums[0]].end-parts[nums[0]].start == 4:
		parts[nums[0]].role, parts[nums[1]].role, parts[nums[2]].role = 'y', 'm', 'd'
	case len(nums) >= 2:
		a := numVal(parts[nums[0]])
		if a <= 12 {
			parts[nums[0]].role, parts[nums[1]].role = 'm', 'd'
		} else {
			parts[nums[0]].role, parts[nums[1]].role = 'd', 'm'
		}
		if numVal(parts[nums[1]]) > 31 {
			parts[nums[1]].role = 'y' // month/year
			parts[nums[0]].role = 'm'
		}
		if len(nums) >= 3 {
			parts[nums[2]].role = 'y'
		}
	case len(nums) == 1:
		parts[nums[0]].role = 'd'
	}
	// read the date
	year, month, day := 2000, 0, 0
	yearDigits := 0
	for _, p := range parts {
		switch p.role {
		case 'M':
			month = monthIndex(strings.TrimSuffix(lower(v[p.start:p.end]), "."))
		case 'm':
			month = numVal(p)
		case 'd':
			day = numVal(p)
		case 'y':
			year = numVal(p)
			yearDigits = p.end - p.start
			if yearDigits == 2 {
				year += 1900
				if year < 1930 {
					year += 100
				}
			}
		}
	}
	var t time.Time
	switch {
	case month >= 1 && month <= 12 && day >= 1 && day <= 31:
		t = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, shift)
	case month >= 1 && month <= 12:
		t = time.Date(year, time.Month(month), 15, 0, 0, 0, 0, time.UTC).AddDate(0, 0, shift)
	case day >= 1 && day <= 31:
		// a bare day of the month: move it within a 28-day cycle
		nd := ((day-1+shift)%28+28)%28 + 1
		t = time.Date(2001, 1, nd, 0, 0, 0, 0, time.UTC)
	default:
		// weekday alone
		t = time.Date(2001, 1, 7, 0, 0, 0, 0, time.UTC)
	}
	var sb strings.Builder
	prev := 0
	for _, p := range parts {
		sb.WriteString(v[prev:p.start])
		orig := v[p.start:p.end]
		switch p.role {
		case 'M':
			name := monthNames[t.Month()-1]
			word := strings.TrimSuffix(orig, ".")
			if utf8.RuneCountInString(word) <= 4 && lower(word) != lower(name) {
				name = name[:3]
			}
			sb.WriteString(matchCase(word, name))
			if strings.HasSuffix(orig, ".") {
				sb.WriteByte('.')
			}
		case 'm':
			sb.WriteString(padLike(int(t.Month()), orig))
		case 'd':
			digits := strings.TrimRightFunc(orig, unicode.IsLetter)
			if len(digits) < len(orig) {
				sb.WriteString(ordinalDay(t.Day()))
			} else {
				sb.WriteString(padLike(t.Day(), orig))
			}
		case 'y':
			if yearDigits == 2 {
				sb.WriteString(pad(t.Year()%100, 2))
			} else {
				sb.WriteString(strconv.Itoa(t.Year()))
			}
		case 'w':
			wd := weekdayIndex(lower(orig))
			if month > 0 && day > 0 {
				wd = int(t.Weekday())
			} else {
				wd = ((wd+shift)%7 + 7) % 7
			}
			name := weekdayNames[wd]
			if utf8.RuneCountInString(orig) <= 4 {
				name = name[:3]
			}
			sb.WriteString(matchCase(orig, name))
		default:
			sb.WriteString(orig)
		}
		prev = p.end
	}
	sb.WriteString(v[prev:])
	return sb.String()
}

func hasDay(parts []dateToken) bool {
	for _, p := range parts {
		if p.role == 'd' {
			return true
		}
	}
	return false
}

// padLike writes n with a leading zero when orig had one ("03").
func padLike(n int, orig string) string {
	if strings.HasPrefix(orig, "0") {
		return pad(n, len(orig))
	}
	return strconv.Itoa(n)
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

func monthIndex(w string) int {
	for i, m := range monthNames {
		lm := lower(m)
		if w == lm || len(w) >= 3 && strings.HasPrefix(lm, w) && (len(w) == 3 || w == "sept") {
			return i + 1
		}
	}
	return 0
}

func weekdayIndex(w string) int {
	w = strings.TrimSuffix(w, "s")
	for i, d := range weekdayNames {
		ld := lower(d)
		if w == ld || len(w) >= 3 && strings.HasPrefix(ld, w) && len(w) <= 4 {
			return i
		}
	}
	return -1
}
