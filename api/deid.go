package api

import "context"

// DeidentifyRequest is the plain-JSON body of POST /v1/text/deidentify.
type DeidentifyRequest struct {
	Text string `json:"text"`
	// Mode is "tag" (default: [**NAME**]), "redact" (*** of the same
	// length) or "surrogate" (consistent fakes).
	Mode string `json:"mode,omitempty"`
	// Patient keys surrogates: the same patient gets the same fake names
	// and date shift in every request to this server.
	Patient string `json:"patient,omitempty"`
	// KeepWeekdays shifts dates by whole weeks (surrogate mode).
	KeepWeekdays bool `json:"keep_weekdays,omitempty"`
}

// DeidentifySpan is one identifier found, in characters (Unicode code
// points) of the request's text. The identifier's text is not echoed.
type DeidentifySpan struct {
	Start  int    `json:"start"`
	End    int    `json:"end"`
	Type   string `json:"type"`
	Source string `json:"source"` // rule:<name>, dict:<list>, model or document
}

// DeidentifyResponse is the answer of POST /v1/text/deidentify.
type DeidentifyResponse struct {
	Text  string           `json:"text"`
	Mode  string           `json:"mode"`
	Spans []DeidentifySpan `json:"spans"`
	// Explanation says what was found and by which methods.
	Explanation string `json:"explanation"`
}

// Deidentify de-identifies one note.
func (c *Client) Deidentify(ctx context.Context, req *DeidentifyRequest) (*DeidentifyResponse, error) {
	var out DeidentifyResponse
	return &out, c.do(ctx, "POST", "/v1/text/deidentify", nil, req, &out)
}
