package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

// errorStatus maps a galen error code to its HTTP status. It is the only
// place where that mapping lives.
func errorStatus(code string) int {
	switch code {
	case galen.EINVALID:
		return http.StatusBadRequest
	case galen.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case galen.EFORBIDDEN:
		return http.StatusForbidden
	case galen.ENOTFOUND:
		return http.StatusNotFound
	case galen.ECONFLICT:
		return http.StatusConflict
	case galen.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case galen.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case galen.ENOTACCEPTABLE:
		return http.StatusNotAcceptable
	case galen.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case galen.EBUSY:
		return http.StatusTooManyRequests
	case galen.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers with err's status and caller-safe message as
// {"error": "..."}. Internal errors are logged with the request id; their
// text never reaches the caller.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = tooLarge(err)
	if galen.ErrorCode(err) == galen.EINTERNAL && errors.Is(err, context.Canceled) {
		err = galen.WrapError(galen.EUNAVAILABLE, "request cancelled", err)
	}
	code := galen.ErrorCode(err)
	status := errorStatus(code)
	ri := info(r)
	if status >= 500 {
		s.logger.Error("request failed", "request_id", ri.id, "route", ri.route.Method+" "+ri.route.Pattern, "code", code, "err", err)
	}
	switch code {
	case galen.EBUSY:
		w.Header().Set("Retry-After", "1")
	case galen.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Bearer realm="galen"`)
	}
	_ = writeJSON(w, status, api.Error{Error: galen.ErrorMessage(err)})
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
