// Package cdshooks holds the wire types of CDS Hooks 2.0
// (https://cds-hooks.hl7.org/2.0/): the discovery response, hook requests,
// response cards and feedback, with a strict request decoder that reports
// every problem with its JSON path, card validation (a summary under 140
// characters, a known indicator, a source label) and prefetch template
// expansion.
//
// It also holds the protocol's server side: Handler, the CDS service a
// capability contributes (a hook, prefetch templates, and a function from
// request to cards, one file per capability such as icu.go); trust of
// client JWTs (Trust); and the fetch of missing prefetch from an allowed
// FHIR server (Fetcher). It never imports httpapi: httpapi puts each
// Handler on its routes.
package cdshooks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/galenhealth/galen"
)

// Hooks defined by CDS Hooks 2.0 and its hook library.
const (
	HookPatientView        = "patient-view"
	HookOrderSelect        = "order-select"
	HookOrderSign          = "order-sign"
	HookAppointmentBook    = "appointment-book"
	HookEncounterStart     = "encounter-start"
	HookEncounterDischarge = "encounter-discharge"
)

// Card indicators, from least to most urgent.
const (
	IndicatorInfo     = "info"
	IndicatorWarning  = "warning"
	IndicatorCritical = "critical"
)

// MaxSummary is the length a card summary must stay under, in characters.
const MaxSummary = 140

// Discovery is the answer of GET /cds-services.
type Discovery struct {
	Services []Service `json:"services"`
}

// Service describes one CDS service in discovery.
type Service struct {
	Hook              string            `json:"hook"`
	Title             string            `json:"title,omitempty"`
	Description       string            `json:"description"`
	ID                string            `json:"id"`
	Prefetch          map[string]string `json:"prefetch,omitempty"`
	UsageRequirements string            `json:"usageRequirements,omitempty"`
}

// Request is a hook call: POST /cds-services/{id}.
type Request struct {
	Hook              string                     `json:"hook"`
	HookInstance      string                     `json:"hookInstance"`
	FHIRServer        string                     `json:"fhirServer,omitempty"`
	FHIRAuthorization *FHIRAuthorization         `json:"fhirAuthorization,omitempty"`
	Context           map[string]json.RawMessage `json:"context"`
	Prefetch          map[string]json.RawMessage `json:"prefetch,omitempty"`
}

// FHIRAuthorization is the OAuth 2.0 token a service may use to call the
// client's FHIR server.
type FHIRAuthorization struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	Subject     string `json:"subject"`
	Patient     string `json:"patient,omitempty"`
}

// ContextString returns a string field of the hook context, or "".
func (r *Request) ContextString(name string) string {
	var s string
	if raw, ok := r.Context[name]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// PrefetchData returns the prefetched item under key, or nil when it is
// absent or null (the client could not or would not fetch it).
func (r *Request) PrefetchData(key string) json.RawMessage {
	raw, ok := r.Prefetch[key]
	if !ok || strings.TrimSpace(string(raw)) == "null" {
		return nil
	}
	return raw
}

// Response is the answer to a hook call.
type Response struct {
	Cards         []Card   `json:"cards"`
	SystemActions []Action `json:"systemActions,omitempty"`
}

// Card is one piece of advice shown to the clinician.
type Card struct {
	UUID              string       `json:"uuid,omitempty"`
	Summary           string       `json:"summary"`
	Detail            string       `json:"detail,omitempty"` // GitHub-flavoured markdown
	Indicator         string       `json:"indicator"`
	Source            Source       `json:"source"`
	Suggestions       []Suggestion `json:"suggestions,omitempty"`
	SelectionBehavior string       `json:"selectionBehavior,omitempty"`
	OverrideReasons   []Coding     `json:"overrideReasons,omitempty"`
	Links             []Link       `json:"links,omitempty"`
}

// Source says where a card's advice comes from.
type Source struct {
	Label string  `json:"label"`
	URL   string  `json:"url,omitempty"`
	Icon  string  `json:"icon,omitempty"`
	Topic *Coding `json:"topic,omitempty"`
}

// Coding is a FHIR Coding as CDS Hooks uses it.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// Suggestion is a set of actions the clinician can accept with one click.
type Suggestion struct {
	Label         string   `json:"label"`
	UUID          string   `json:"uuid,omitempty"`
	IsRecommended bool     `json:"isRecommended,omitempty"`
	Actions       []Action `json:"actions,omitempty"`
}

// Action creates, updates or deletes a FHIR resource.
type Action struct {
	Type        string          `json:"type"` // create, update or delete
	Description string          `json:"description"`
	Resource    json.RawMessage `json:"resource,omitempty"`
	ResourceID  string          `json:"resourceId,omitempty"`
}

// Link points to a reference page or a SMART app.
type Link struct {
	Label      string `json:"label"`
	URL        string `json:"url"`
	Type       string `json:"type"` // absolute or smart
	AppContext string `json:"appContext,omitempty"`
}

// Feedback is the body of POST /cds-services/{id}/feedback.
type Feedback struct {
	Feedback []FeedbackItem `json:"feedback"`
}

// FeedbackItem says what the clinician did with one card.
type FeedbackItem struct {
	Card                string              `json:"card"`
	Outcome             string              `json:"outcome"` // accepted or overridden
	AcceptedSuggestions []AcceptedSuggested `json:"acceptedSuggestions,omitempty"`
	OverrideReason      *OverrideReason     `json:"overrideReason,omitempty"`
	OutcomeTimestamp    string              `json:"outcomeTimestamp"`
}

// AcceptedSuggested names an accepted suggestion by its uuid.
type AcceptedSuggested struct {
	ID string `json:"id"`
}

// OverrideReason is why a clinician overrode a card.
type OverrideReason struct {
	Reason      *Coding `json:"reason,omitempty"`
	UserComment string  `json:"userComment,omitempty"`
}

// Error lists every problem found in a request or a card.
type Error struct {
	Problems []galen.Problem
}

// Error joins the problems.
func (e *Error) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return fmt.Sprintf("cdshooks: %s", strings.Join(s, "; "))
}
