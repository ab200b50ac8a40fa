package fhir

import "encoding/json"

// OperationOutcome is a set of errors, warnings and information messages
// about an operation, e.g. why a submitted Bundle was rejected.
type OperationOutcome struct {
	ID    string                  `json:"id,omitempty"`
	Issue []OperationOutcomeIssue `json:"issue"`
}

// OperationOutcomeIssue is one problem. Expression holds FHIRPath-like
// locations of the offending elements.
type OperationOutcomeIssue struct {
	Severity    string           `json:"severity"`
	Code        string           `json:"code"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
	Expression  []string         `json:"expression,omitempty"`
}

// ResourceType implements Resource.
func (*OperationOutcome) ResourceType() string { return "OperationOutcome" }

// MarshalJSON writes the outcome with its resourceType.
func (o *OperationOutcome) MarshalJSON() ([]byte, error) {
	type plain OperationOutcome
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"`
		*plain
	}{"OperationOutcome", (*plain)(o)})
}

// NewOperationOutcome converts issues to an OperationOutcome. With no
// issues it holds one informational "no problems" issue, since R4 needs at
// least one.
func NewOperationOutcome(issues []Issue) *OperationOutcome {
	o := &OperationOutcome{}
	for _, i := range issues {
		x := OperationOutcomeIssue{Severity: i.Severity, Code: i.Code, Diagnostics: i.Message}
		if x.Severity == "" {
			x.Severity = SeverityError
		}
		if x.Code == "" {
			x.Code = CodeInvalid
		}
		if i.Path != "" {
			x.Expression = []string{i.Path}
		}
		o.Issue = append(o.Issue, x)
	}
	if len(o.Issue) == 0 {
		o.Issue = []OperationOutcomeIssue{{Severity: SeverityInformation, Code: "informational", Diagnostics: "no problems"}}
	}
	return o
}

// IssueTypes are the values of OperationOutcome.issue.code.
var IssueTypes = []string{"invalid", "structure", "required", "value", "invariant", "security",
	"login", "unknown", "expired", "forbidden", "suppressed", "processing", "not-supported",
	"duplicate", "multiple-matches", "not-found", "deleted", "too-long", "code-invalid",
	"extension", "too-costly", "business-rule", "conflict", "transient", "lock-error",
	"no-store", "exception", "timeout", "incomplete", "throttled", "informational"}

var (
	operationOutcomeFields = fields(domainFields, "issue")
	issueFields            = fields(backboneFields, "severity code details diagnostics location expression")
)

func decodeOperationOutcome(d *decoder, obj int) Resource {
	d.check(obj, operationOutcomeFields)
	o := &OperationOutcome{ID: d.str(obj, "id", false)}
	d.array(obj, "issue", true, func(m int) {
		d.check(m, issueFields)
		d.stringList(m, "location")
		o.Issue = append(o.Issue, OperationOutcomeIssue{
			Severity:    d.code(m, "severity", true, SeverityFatal, SeverityError, SeverityWarning, SeverityInformation),
			Code:        d.code(m, "code", true, IssueTypes...),
			Details:     d.codeableConceptAt(m, "details", false),
			Diagnostics: d.str(m, "diagnostics", false),
			Expression:  d.stringList(m, "expression"),
		})
	})
	return o
}
