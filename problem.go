package galen

// Problem is one thing wrong with an input, at a place in it: a JSON path
// such as "observations[3].time" or "context.patientId", a FHIRPath-like
// location such as "Bundle.entry[2].resource.valueQuantity", or "" for
// the input as a whole. Every "what is wrong where" list in Galen (request
// bodies, FHIR documents, CDS Hooks calls) is a list of Problems.
//
// Severity and Code are set where the reader speaks FHIR
// (OperationOutcome.issue.severity and .code). The HTTP API's plain-JSON
// error body lists problems as {"severity", "path", "message"} (see Plain):
// "error" for what made the request fail, "warning" for input left out.
type Problem struct {
	Severity string `json:"severity,omitempty"` // "" means error
	Code     string `json:"code,omitempty"`     // FHIR issue type, e.g. "invalid", "required"
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
}

// String returns "path: message", or the message alone when there is no path.
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// IsError reports whether p is an error (severity "", "error" or "fatal")
// rather than a warning or information.
func (p Problem) IsError() bool {
	return p.Severity == "" || p.Severity == "error" || p.Severity == "fatal"
}

// Plain returns p with its severity ("error" when unset), path and
// message, without the FHIR issue code.
func (p Problem) Plain() Problem {
	sev := p.Severity
	if sev == "" {
		sev = "error"
	}
	return Problem{Severity: sev, Path: p.Path, Message: p.Message}
}

// PrefixProblems returns ps with prefix put before each path.
func PrefixProblems(ps []Problem, prefix string) []Problem {
	out := make([]Problem, len(ps))
	for i, p := range ps {
		p.Path = prefix + p.Path
		out[i] = p
	}
	return out
}

// Truncate returns s cut to at most n runes, with "…" after a cut, so that
// a message quoting the caller's input stays short.
func Truncate(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i] + "…"
		}
		count++
	}
	return s
}
