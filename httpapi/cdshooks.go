package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
	"github.com/galenhealth/galen/outcome"
)

// cdsServices is the explicit list of the CDS services this server
// offers; a capability with a CDS Hooks service adds its cdshooks.Handler
// here. Each gets POST /cds-services/{id} and /cds-services/{id}/feedback.
func (s *Server) cdsServices() []cdshooks.Handler {
	return []cdshooks.Handler{
		cdshooks.ICUMortality(cdshooks.ICUModel{
			Predict: func(ctx context.Context, stay *outcome.Stay) (outcome.Prediction, *galen.ModelVersion, error) {
				return s.predictOutcome(ctx, "", "", stay)
			},
			Version: func(ctx context.Context) (*galen.ModelVersion, error) {
				_, l, err := s.outcomeModel(ctx, "", "")
				if err != nil {
					return nil, err
				}
				return l.Version, nil
			},
		}),
	}
}

func (s *Server) cdsRoutes() []route {
	rs := []route{{Method: "GET", Pattern: "/cds-services", Roles: anyRole, Handler: s.handleCDSDiscovery, Authn: s.cdsAuthenticate, Tag: "cds-hooks",
		Summary: "CDS Hooks 2.0 discovery: the services, their hooks and prefetch templates", Response: cdshooks.Discovery{}}}
	for _, h := range s.cdsServices() {
		svc := h.Service
		rs = append(rs,
			route{Method: "POST", Pattern: "/cds-services/" + svc.ID, Roles: predictRoles, Audit: true, Handler: s.cdsHandler(h), Authn: s.cdsAuthenticate, Tag: "cds-hooks",
				Summary: "CDS Hooks " + svc.Hook + " service: " + svc.Title + " (412 when prefetch is missing)",
				Request: cdshooks.Request{}, Response: cdshooks.Response{}},
			route{Method: "POST", Pattern: "/cds-services/" + svc.ID + "/feedback", Roles: predictRoles, Audit: true, Handler: s.handleCDSFeedback, Authn: s.cdsAuthenticate, Tag: "cds-hooks",
				Summary: "CDS Hooks feedback on the cards of " + svc.ID, Request: cdshooks.Feedback{}},
		)
	}
	return rs
}

func (s *Server) handleCDSDiscovery(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, cdshooks.Discover(s.cdsServices()))
}

func (s *Server) cdsHandler(h cdshooks.Handler) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := requireJSON(r); err != nil {
			return err
		}
		body, err := requestBody(r)
		if err != nil {
			return err
		}
		resp, err := h.Call(r.Context(), body, s.cds().fetch)
		var fe *cdshooks.FetchError
		if errors.As(err, &fe) {
			// The reason names the failure, never the patient or the token.
			s.logger.Warn("cds fhir fetch failed", "request_id", info(r).id, "service", h.Service.ID, "reason", fe.Reason)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) handleCDSFeedback(w http.ResponseWriter, r *http.Request) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := requestBody(r)
	if err != nil {
		return err
	}
	f, err := cdshooks.DecodeFeedback(body)
	if err != nil {
		return cdshooks.RequestError(err)
	}
	// The audit event records who sent feedback; outcomes are counted here.
	for _, it := range f.Feedback {
		s.logger.Info("cds feedback", "request_id", info(r).id, "route", info(r).route.Pattern, "outcome", it.Outcome)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
