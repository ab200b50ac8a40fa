package api

import (
	"context"
	"encoding/json"
	"net/url"
)

// OutcomeRequest is the plain-JSON body of POST /v1/outcome/predict: the
// first 48 hours of an ICU stay in PhysioNet 2012 names and units. The
// server reports every problem of a request at once, each with its JSON
// path.
type OutcomeRequest struct {
	Observations []OutcomeObservation `json:"observations"`
	// Descriptors: Age (years), Gender (0 female, 1 male), Height (cm),
	// ICUType (1-4), Weight (kg); -1 or absent = unknown.
	Descriptors map[string]float64 `json:"descriptors,omitempty"`
}

// OutcomeObservation is one value: the time since ICU admission, the
// PhysioNet parameter name (HR, GCS, Lactate, ...) and the value. Time is
// raw JSON because the server takes both forms: a string "HH:MM" such as
// json.RawMessage(`"01:30"`), or a whole number of minutes such as
// json.RawMessage("90").
type OutcomeObservation struct {
	Time      json.RawMessage `json:"time"`
	Parameter string          `json:"parameter"`
	Value     *float64        `json:"value"`
}

// OutcomeResponse is the plain-JSON answer of POST /v1/outcome/predict.
type OutcomeResponse struct {
	Risk        float64               `json:"risk"`        // calibrated probability of in-hospital death
	Uncertain   bool                  `json:"uncertain"`   // too little data or disagreeing models
	Band        string                `json:"band"`        // low, moderate or high
	Explanation []OutcomeContribution `json:"explanation"` // largest |contribution| first
	Warnings    []string              `json:"warnings"`    // about the input, e.g. implausible values; never null
	Model       string                `json:"model"`       // the model that answered
	Version     int                   `json:"version"`     // and its version
}

// OutcomeContribution is how much one variable moved the risk (occlusion:
// risk with the variable minus risk without it).
type OutcomeContribution struct {
	Variable     string  `json:"variable"`
	Contribution float64 `json:"contribution"`
}

// PredictOutcome calls POST /v1/outcome/predict with plain JSON: the ICU
// in-hospital mortality risk of one stay, explained. An empty model means
// the server's default outcome model, and an empty version that model's
// production alias, else its newest version; version may be a number or an
// alias. A request with problems is EINVALID, with the first problem in the
// message.
func (c *Client) PredictOutcome(ctx context.Context, model, version string, req *OutcomeRequest) (*OutcomeResponse, error) {
	q := url.Values{}
	if model != "" {
		q.Set("model", model)
	}
	if version != "" {
		q.Set("version", version)
	}
	var r OutcomeResponse
	return &r, c.do(ctx, "POST", "/v1/outcome/predict", q, req, &r)
}
