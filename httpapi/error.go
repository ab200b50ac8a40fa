package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

// writeError answers with err's status (api.StatusForCode) and caller-safe
// message as {"error": "..."}, with "problems" when err lists some. Internal errors are logged with the request id at ERROR; their
// text never reaches the caller. Other 5xx answers log at WARN without the error text.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = tooLarge(err)
	if galen.ErrorCode(err) == galen.EINTERNAL && errors.Is(err, context.Canceled) {
		err = galen.WrapError(galen.EUNAVAILABLE, "request cancelled", err)
	}
	code := galen.ErrorCode(err)
	status := api.StatusForCode(code)
	ri := info(r)
	switch {
	case code == galen.EINTERNAL:
		s.logger.Error("request failed", "request_id", ri.id, "route", ri.route.Method+" "+ri.route.Pattern, "code", code, "err", err)
	case status >= 500:
		// Unavailable (an empty knowledge graph, a cancelled request, a model
		// not loaded) is the deployment's state, not a fault of the server.
		s.logger.Warn("request failed", "request_id", ri.id, "route", ri.route.Method+" "+ri.route.Pattern, "code", code)
	}
	switch code {
	case galen.EBUSY:
		w.Header().Set("Retry-After", "1")
	case galen.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Bearer realm="galen"`)
	}
	var ps []galen.Problem
	for _, p := range galen.ErrorProblems(err) {
		ps = append(ps, p.Plain())
	}
	_ = writeJSON(w, status, api.Error{Error: galen.ErrorMessage(err), Problems: ps})
}

// tooLarge turns a body that went over the limit into ETOOLARGE; other
// errors pass through.
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return galen.Errorf(galen.ETOOLARGE, "request body is over the %d-byte limit", mbe.Limit)
	}
	return err
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
