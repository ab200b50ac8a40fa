package api

import (
	"context"
	"net/url"
	"strconv"

	"github.com/galenhealth/galen/kg"
)

// KGInteractionsRequest is the body of POST /v1/kg/interactions: drugs by
// name, synonym, DrugBank id, ATC code or RxNorm code.
type KGInteractionsRequest struct {
	Drugs []string `json:"drugs"`
}

// KGSuggestRequest is the body of POST /v1/kg/suggest-diseases.
type KGSuggestRequest struct {
	Symptoms []string `json:"symptoms"`
	Limit    int      `json:"limit,omitempty"` // default 10, at most 100
}

// KGSubgraphRequest is the body of POST /v1/kg/subgraph.
type KGSubgraphRequest struct {
	IDs       []string `json:"ids"`
	Hops      int      `json:"hops,omitempty"`      // 0 to 3 (default 1)
	MaxNodes  int      `json:"max_nodes,omitempty"` // default 200, at most 5000
	EdgeTypes []string `json:"edge_types,omitempty"`
}

// KGSearchResponse answers GET /v1/kg/search.
type KGSearchResponse struct {
	Hits []kg.Hit `json:"hits"`
}

// KGEntityResponse answers GET /v1/kg/entities/{id}.
type KGEntityResponse struct {
	kg.Entity
	Degree int `json:"degree"`
}

// KGPathsResponse answers GET /v1/kg/paths.
type KGPathsResponse struct {
	Paths []kg.Path `json:"paths"`
}

// KGInteractions checks drugs for interactions.
func (c *Client) KGInteractions(ctx context.Context, drugs ...string) (*kg.InteractionReport, error) {
	var out kg.InteractionReport
	return &out, c.do(ctx, "POST", "/v1/kg/interactions", nil, &KGInteractionsRequest{Drugs: drugs}, &out)
}

// KGSuggestDiseases ranks diseases for symptoms.
func (c *Client) KGSuggestDiseases(ctx context.Context, req *KGSuggestRequest) (*kg.SuggestReport, error) {
	var out kg.SuggestReport
	return &out, c.do(ctx, "POST", "/v1/kg/suggest-diseases", nil, req, &out)
}

// KGSearch searches entities by name, synonym or code.
func (c *Client) KGSearch(ctx context.Context, q string, limit int) (*KGSearchResponse, error) {
	var out KGSearchResponse
	return &out, c.do(ctx, "GET", "/v1/kg/search", url.Values{"q": {q}, "limit": {strconv.Itoa(limit)}}, nil, &out)
}
