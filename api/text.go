package api

import (
	"context"
	"net/url"
)

// TextClassifyRequest is the body of POST /v1/text/classify.
type TextClassifyRequest struct {
	Text string `json:"text"`            // the note, UTF-8, at most 256 KiB
	TopK int    `json:"top_k,omitempty"` // labels to return (default 3)
}

// TextClassifyResponse is the plain-JSON answer of POST /v1/text/classify.
// Every offset counts Unicode code points (characters) from the start of
// the text, end exclusive, so text[start:end] in a language that indexes
// by code point is the span.
type TextClassifyResponse struct {
	Labels      []TextLabel       `json:"labels"`      // most probable first
	Uncertain   bool              `json:"uncertain"`   // top probability under the threshold fixed on validation
	Explanation []TextAttribution `json:"explanation"` // what pushed the top label most, largest |weight| first
	Sections    []TextSection     `json:"sections"`
	Negated     []TextFinding     `json:"negated"` // findings the note negates ("denies chest pain")
	Model       string            `json:"model"`
	Version     int               `json:"version"`
}

// TextLabel is one label and its calibrated probability.
type TextLabel struct {
	Label       string  `json:"label"`
	Probability float64 `json:"probability"`
}

// TextAttribution is a feature (a stemmed word, a word pair or a token)
// and how much it pushed the top label (negative: against it), with its
// places in the text.
type TextAttribution struct {
	Term   string     `json:"term"`
	Weight float64    `json:"weight"`
	Spans  []TextSpan `json:"spans"`
}

// TextSpan is a part of the text by character offsets.
type TextSpan struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// TextSection is a headed section of the note: canonical name (e.g.
// "history_of_present_illness", or "other"), the header as written, and
// the span of its body.
type TextSection struct {
	Name   string `json:"name"`
	Header string `json:"header"`
	Start  int    `json:"start"`
	End    int    `json:"end"`
}

// TextFinding is a negated finding, the trigger that negated it, and its
// span.
type TextFinding struct {
	Text    string `json:"text"`
	Trigger string `json:"trigger"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
	Section string `json:"section,omitempty"`
}

// ClassifyText calls POST /v1/text/classify; model and version may be
// empty (the built-in clinical-specialty model).
func (c *Client) ClassifyText(ctx context.Context, model, version string, req *TextClassifyRequest) (*TextClassifyResponse, error) {
	q := url.Values{}
	if model != "" {
		q.Set("model", model)
	}
	if version != "" {
		q.Set("version", version)
	}
	var r TextClassifyResponse
	return &r, c.do(ctx, "POST", "/v1/text/classify", q, req, &r)
}
