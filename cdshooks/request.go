package cdshooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/galenhealth/galen"
)

// contextFields lists the required context fields of the hooks whose
// context this package checks, and whether each is a string.
var contextFields = map[string][]struct {
	name   string
	string bool
}{
	HookPatientView: {{"userId", true}, {"patientId", true}},
	HookOrderSelect: {{"userId", true}, {"patientId", true}, {"selections", false}, {"draftOrders", false}},
	HookOrderSign:   {{"userId", true}, {"patientId", true}, {"draftOrders", false}},
}

type problems []galen.Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, galen.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}

// object decodes data as one JSON object, rejecting trailing data.
func object(data []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the body is empty; want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, se)
		case errors.As(err, &te):
			return nil, fmt.Errorf("the body is JSON %s; want an object", te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("malformed JSON: the body ends too early")
		}
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if m == nil {
		return nil, errors.New("the body is null; want a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed JSON: more data after the object")
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// str decodes a required or optional non-empty string member.
func str(ps *problems, m map[string]json.RawMessage, path, key string, required bool) string {
	raw, ok := m[key]
	p := key
	if path != "" {
		p = path + "." + key
	}
	if !ok || string(raw) == "null" {
		if required {
			ps.add(p, "missing required field")
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		ps.add(p, "must be a string")
		return ""
	}
	if strings.TrimSpace(s) == "" {
		if required {
			ps.add(p, "must not be empty")
		}
		return ""
	}
	return s
}

// DecodeRequest strictly decodes a hook request and checks it: hook and
// hookInstance present, a context object with the fields its hook requires
// (patient-view: userId and patientId), fhirServer an absolute http(s) URL,
// fhirAuthorization only with a fhirServer and complete, prefetch an object.
// Unknown top-level fields other than "extension" are problems. Every
// problem is reported in an *Error.
func DecodeRequest(data []byte) (*Request, error) {
	m, err := object(data)
	if err != nil {
		return nil, &Error{Problems: []galen.Problem{{Message: err.Error()}}}
	}
	var ps problems
	for _, k := range sortedKeys(m) {
		switch k {
		case "hook", "hookInstance", "fhirServer", "fhirAuthorization", "context", "prefetch", "extension":
		default:
			ps.add(k, "unknown field")
		}
	}
	r := &Request{
		Hook:         str(&ps, m, "", "hook", true),
		HookInstance: str(&ps, m, "", "hookInstance", true),
		FHIRServer:   str(&ps, m, "", "fhirServer", false),
	}
	if r.FHIRServer != "" {
		u, err := url.Parse(r.FHIRServer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ps.add("fhirServer", "must be an absolute http(s) URL")
		}
	}
	if raw, ok := m["fhirAuthorization"]; ok && string(raw) != "null" {
		if r.FHIRServer == "" {
			ps.add("fhirAuthorization", "is only allowed with a fhirServer")
		}
		var a map[string]json.RawMessage
		if json.Unmarshal(raw, &a) != nil || a == nil {
			ps.add("fhirAuthorization", "must be an object")
		} else {
			fa := &FHIRAuthorization{
				AccessToken: str(&ps, a, "fhirAuthorization", "access_token", true),
				TokenType:   str(&ps, a, "fhirAuthorization", "token_type", true),
				Scope:       str(&ps, a, "fhirAuthorization", "scope", true),
				Subject:     str(&ps, a, "fhirAuthorization", "subject", true),
				Patient:     str(&ps, a, "fhirAuthorization", "patient", false),
			}
			if fa.TokenType != "" && fa.TokenType != "Bearer" {
				ps.add("fhirAuthorization.token_type", "must be \"Bearer\"")
			}
			if e, ok := a["expires_in"]; !ok || json.Unmarshal(e, &fa.ExpiresIn) != nil {
				ps.add("fhirAuthorization.expires_in", "missing or not an integer")
			}
			r.FHIRAuthorization = fa
		}
	}
	if raw, ok := m["context"]; !ok || string(raw) == "null" {
		ps.add("context", "missing required field")
	} else if json.Unmarshal(raw, &r.Context) != nil || r.Context == nil {
		ps.add("context", "must be an object")
	} else {
		for _, f := range contextFields[r.Hook] {
			v, ok := r.Context[f.name]
			switch {
			case !ok || string(v) == "null":
				ps.add("context."+f.name, "missing; the %s hook requires it", r.Hook)
			case f.string:
				str(&ps, r.Context, "context", f.name, true)
			}
		}
	}
	if raw, ok := m["prefetch"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &r.Prefetch) != nil || r.Prefetch == nil {
			ps.add("prefetch", "must be an object of prefetch keys")
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeFeedback strictly decodes a feedback body: a non-empty feedback
// array whose items name a card, an outcome (accepted or overridden) and an
// outcomeTimestamp; accepted suggestions only with "accepted", an override
// reason only with "overridden".
func DecodeFeedback(data []byte) (*Feedback, error) {
	m, err := object(data)
	if err != nil {
		return nil, &Error{Problems: []galen.Problem{{Message: err.Error()}}}
	}
	var ps problems
	for _, k := range sortedKeys(m) {
		if k != "feedback" {
			ps.add(k, "unknown field")
		}
	}
	var items []map[string]json.RawMessage
	raw, ok := m["feedback"]
	switch {
	case !ok:
		ps.add("feedback", "missing required field")
	case json.Unmarshal(raw, &items) != nil:
		ps.add("feedback", "must be an array of objects")
	case len(items) == 0:
		ps.add("feedback", "must not be empty")
	}
	f := &Feedback{}
	for i, it := range items {
		p := "feedback[" + strconv.Itoa(i) + "]"
		if it == nil {
			ps.add(p, "must be an object")
			continue
		}
		for _, k := range sortedKeys(it) {
			switch k {
			case "card", "outcome", "acceptedSuggestions", "overrideReason", "outcomeTimestamp", "extension":
			default:
				ps.add(p+"."+k, "unknown field")
			}
		}
		fi := FeedbackItem{
			Card:             str(&ps, it, p, "card", true),
			Outcome:          str(&ps, it, p, "outcome", true),
			OutcomeTimestamp: str(&ps, it, p, "outcomeTimestamp", true),
		}
		if fi.Outcome != "" && fi.Outcome != "accepted" && fi.Outcome != "overridden" {
			ps.add(p+".outcome", "must be \"accepted\" or \"overridden\"")
		}
		if fi.OutcomeTimestamp != "" {
			if _, err := time.Parse(time.RFC3339Nano, fi.OutcomeTimestamp); err != nil {
				ps.add(p+".outcomeTimestamp", "must be an ISO 8601 date and time with a zone")
			}
		}
		if raw, ok := it["acceptedSuggestions"]; ok {
			if json.Unmarshal(raw, &fi.AcceptedSuggestions) != nil {
				ps.add(p+".acceptedSuggestions", "must be an array of {\"id\": ...}")
			} else if fi.Outcome == "overridden" {
				ps.add(p+".acceptedSuggestions", "not allowed when the outcome is overridden")
			}
		}
		if raw, ok := it["overrideReason"]; ok {
			if json.Unmarshal(raw, &fi.OverrideReason) != nil {
				ps.add(p+".overrideReason", "must be an object with reason and userComment")
			} else if fi.Outcome == "accepted" {
				ps.add(p+".overrideReason", "not allowed when the outcome is accepted")
			}
		}
		f.Feedback = append(f.Feedback, fi)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// Validate checks a response: every card has a summary under MaxSummary
// characters, a known indicator and a source label; cards with suggestions
// say how they may be selected; actions have a known type and a description.
func (r *Response) Validate() error {
	var ps problems
	for i, c := range r.Cards {
		p := "cards[" + strconv.Itoa(i) + "]"
		switch n := utf8.RuneCountInString(c.Summary); {
		case strings.TrimSpace(c.Summary) == "":
			ps.add(p+".summary", "missing")
		case n >= MaxSummary:
			ps.add(p+".summary", "%d characters; must be under %d", n, MaxSummary)
		}
		switch c.Indicator {
		case IndicatorInfo, IndicatorWarning, IndicatorCritical:
		default:
			ps.add(p+".indicator", "%q; must be info, warning or critical", c.Indicator)
		}
		if strings.TrimSpace(c.Source.Label) == "" {
			ps.add(p+".source.label", "missing")
		}
		if len(c.Suggestions) > 0 && c.SelectionBehavior != "at-most-one" && c.SelectionBehavior != "any" {
			ps.add(p+".selectionBehavior", "must be at-most-one or any when there are suggestions")
		}
		for j, s := range c.Suggestions {
			sp := p + ".suggestions[" + strconv.Itoa(j) + "]"
			if strings.TrimSpace(s.Label) == "" {
				ps.add(sp+".label", "missing")
			}
			for k, a := range s.Actions {
				checkAction(&ps, sp+".actions["+strconv.Itoa(k)+"]", a)
			}
		}
		for j, l := range c.Links {
			lp := p + ".links[" + strconv.Itoa(j) + "]"
			if l.Type != "absolute" && l.Type != "smart" {
				ps.add(lp+".type", "must be absolute or smart")
			}
			if l.Label == "" || l.URL == "" {
				ps.add(lp, "needs a label and a url")
			}
		}
	}
	for k, a := range r.SystemActions {
		checkAction(&ps, "systemActions["+strconv.Itoa(k)+"]", a)
	}
	return ps.err()
}

func checkAction(ps *problems, p string, a Action) {
	switch a.Type {
	case "create", "update":
		if len(a.Resource) == 0 {
			ps.add(p+".resource", "missing for a %s action", a.Type)
		}
	case "delete":
		if a.ResourceID == "" {
			ps.add(p+".resourceId", "missing for a delete action")
		}
	default:
		ps.add(p+".type", "%q; must be create, update or delete", a.Type)
	}
	if strings.TrimSpace(a.Description) == "" {
		ps.add(p+".description", "missing")
	}
}

// Summary shortens s to fewer than MaxSummary characters, ending it with
// "…" when it had to be cut.
func Summary(s string) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) < MaxSummary {
		return s
	}
	return strings.TrimSpace(string(r[:MaxSummary-2])) + "…"
}

var templateVar = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.]+)\s*\}\}`)

// ExpandPrefetch fills a prefetch template such as
// "Observation?patient={{context.patientId}}" from a request's context
// (string fields only) and, for {{userPractitionerId}} and similar, from
// context.userId. It fails naming the first token it cannot fill.
func ExpandPrefetch(tmpl string, r *Request) (string, error) {
	var missing string
	out := templateVar.ReplaceAllStringFunc(tmpl, func(tok string) string {
		name := templateVar.FindStringSubmatch(tok)[1]
		var v string
		switch {
		case strings.HasPrefix(name, "context."):
			v = r.ContextString(strings.TrimPrefix(name, "context."))
		case name == "userPractitionerId" || name == "userPractitionerRoleId" || name == "userPatientId" || name == "userRelatedPersonId":
			kind := map[string]string{"userPractitionerId": "Practitioner/", "userPractitionerRoleId": "PractitionerRole/",
				"userPatientId": "Patient/", "userRelatedPersonId": "RelatedPerson/"}[name]
			v, _ = strings.CutPrefix(r.ContextString("userId"), kind)
			if v == r.ContextString("userId") {
				v = ""
			}
		}
		if v == "" && missing == "" {
			missing = tok
		}
		return url.QueryEscape(v)
	})
	if missing != "" {
		return "", fmt.Errorf("cdshooks: prefetch template token %s has no value in the request", missing)
	}
	return out, nil
}
