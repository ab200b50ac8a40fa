package kg

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// OBOTerm is one [Term] stanza of an OBO 1.2 file.
type OBOTerm struct {
	ID       string
	Name     string
	Def      string
	Synonyms []OBOSynonym
	Xrefs    []string
	IsA      []string
	AltIDs   []string
	Obsolete bool
	Line     int // line of the [Term] header
}

// OBOSynonym is a synonym with its scope (EXACT, BROAD, NARROW, RELATED).
type OBOSynonym struct {
	Text  string
	Scope string
}

// OBOProblem is one line of an OBO file that could not be read.
type OBOProblem struct {
	Line   int
	Reason string
}

// ParseOBO reads the [Term] stanzas of an OBO 1.2 file. Other stanzas
// ([Typedef], [Instance]) are skipped. A malformed tag line, or a term
// without an id, is reported as a problem and left out; an I/O error
// stops the parse.
func ParseOBO(r io.Reader) ([]OBOTerm, []OBOProblem, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var (
		terms    []OBOTerm
		problems []OBOProblem
		cur      *OBOTerm
		inTerm   bool
		line     int
	)
	flush := func() {
		if cur != nil {
			if cur.ID == "" {
				problems = append(problems, OBOProblem{cur.Line, "term without id"})
			} else {
				terms = append(terms, *cur)
			}
		}
		cur = nil
	}
	for sc.Scan() {
		line++
		s := cleanField(strings.TrimSpace(sc.Text()))
		if s == "" || strings.HasPrefix(s, "!") {
			continue
		}
		if strings.HasPrefix(s, "[") {
			flush()
			if !strings.HasSuffix(s, "]") {
				problems = append(problems, OBOProblem{line, "malformed stanza header " + quote(s)})
				inTerm = false
				continue
			}
			inTerm = s == "[Term]"
			if inTerm {
				cur = &OBOTerm{Line: line}
			}
			continue
		}
		tag, val, ok := strings.Cut(s, ":")
		if !ok || tag == "" || strings.ContainsAny(tag, " \t") {
			problems = append(problems, OBOProblem{line, "want tag: value, got " + quote(s)})
			continue
		}
		if !inTerm {
			continue // header or another stanza kind
		}
		if err := cur.set(tag, strings.TrimSpace(val)); err != nil {
			problems = append(problems, OBOProblem{line, err.Error()})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	flush()
	return terms, problems, nil
}

// set applies one tag line to the term.
func (t *OBOTerm) set(tag, val string) error {
	switch tag {
	case "id":
		if val == "" {
			return fmt.Errorf("empty id")
		}
		t.ID = val
	case "name":
		t.Name = val
	case "def":
		s, _, err := oboQuoted(val)
		if err != nil {
			return fmt.Errorf("def: %w", err)
		}
		t.Def = s
	case "synonym":
		s, rest, err := oboQuoted(val)
		if err != nil {
			return fmt.Errorf("synonym: %w", err)
		}
		scope, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
		t.Synonyms = append(t.Synonyms, OBOSynonym{Text: s, Scope: scope})
	case "xref":
		if v := oboValue(val); v != "" {
			t.Xrefs = append(t.Xrefs, v)
		}
	case "is_a":
		if v := oboValue(val); v != "" {
			t.IsA = append(t.IsA, v)
		}
	case "alt_id":
		t.AltIDs = append(t.AltIDs, oboValue(val))
	case "is_obsolete":
		t.Obsolete = val == "true"
	}
	return nil
}

// oboValue returns a plain value without its trailing comment ("! name")
// or modifiers ("{...}") or quoted description.
func oboValue(v string) string {
	if i := strings.Index(v, " !"); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexAny(v, "{\""); i >= 0 {
		v = v[:i]
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// oboQuoted reads a leading double-quoted string with backslash escapes
// and returns it and what follows.
func oboQuoted(v string) (string, string, error) {
	if !strings.HasPrefix(v, "\"") {
		return "", "", fmt.Errorf("want a quoted string, got %s", quote(v))
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		case '"':
			return b.String(), v[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated quoted string")
}

// quote shortens s for a report.
func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return fmt.Sprintf("%q", s)
}
