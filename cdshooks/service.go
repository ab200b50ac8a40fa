package cdshooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/fhir"
)

// Handler is one CDS service a capability contributes: its discovery entry
// (hook, title, prefetch templates) and the function that answers a
// request. httpapi serves each Handler of its explicit list at
// POST /cds-services/{id} and /cds-services/{id}/feedback.
type Handler struct {
	Service Service
	// Answer answers a request the decoder accepted, whose hook is
	// Service.Hook. fetch reads prefetch the request lacks (see
	// Fetcher.FetchMissing); it is nil when the server fetches nothing.
	// A *fhir.Error is answered as the caller's mistake (400) listing its
	// problems; other errors pass through with their galen codes.
	Answer func(ctx context.Context, req *Request, fetch *Fetcher) (*Response, error)
}

// Discover returns the discovery document of the handlers.
func Discover(hs []Handler) Discovery {
	d := Discovery{Services: []Service{}}
	for _, h := range hs {
		d.Services = append(d.Services, h.Service)
	}
	return d
}

// Call decodes a hook call's body, checks that it is for this service's
// hook, answers it and checks the answer. Errors are *galen.Error: EINVALID
// listing every problem of the request, EPRECONDITION when prefetch is
// missing and cannot be fetched (a *FetchError in the chain when the FHIR
// server failed), or what Answer returned.
func (h Handler) Call(ctx context.Context, body []byte, fetch *Fetcher) (*Response, error) {
	req, err := DecodeRequest(body)
	if err != nil {
		return nil, RequestError(err)
	}
	if req.Hook != h.Service.Hook {
		return nil, galen.ProblemsError(galen.EINVALID, []galen.Problem{{Path: "hook",
			Message: fmt.Sprintf("%q; service %s answers %s", req.Hook, h.Service.ID, h.Service.Hook)}})
	}
	resp, err := h.Answer(ctx, req, fetch)
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe):
		return nil, galen.ProblemsError(galen.EINVALID, fe.Issues)
	case err != nil:
		return nil, err
	}
	if err := resp.Validate(); err != nil {
		return nil, galen.WrapError(galen.EINTERNAL, "", fmt.Errorf("service %s made an invalid response: %w", h.Service.ID, err))
	}
	return resp, nil
}

// RequestError turns an error of DecodeRequest or DecodeFeedback into an
// EINVALID *galen.Error listing every problem.
func RequestError(err error) error {
	var ce *Error
	if !errors.As(err, &ce) {
		return galen.WrapError(galen.EINVALID, "bad CDS Hooks request", err)
	}
	return galen.ProblemsError(galen.EINVALID, ce.Problems)
}
