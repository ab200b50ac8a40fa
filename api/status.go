package api

import (
	"net/http"

	"github.com/galenhealth/galen"
)

// statusTable is the one mapping between galen error codes and HTTP
// statuses, used by the server (StatusForCode) and by Client
// (CodeForStatus). FHIRCode is the OperationOutcome issue type the server
// uses when the caller speaks FHIR. A code's first row gives its status;
// later rows only map more statuses back to a code.
var statusTable = []struct {
	Code     string
	Status   int
	FHIRCode string
}{
	{galen.EINVALID, http.StatusBadRequest, "invalid"},
	{galen.EUNAUTHORIZED, http.StatusUnauthorized, "login"},
	{galen.EFORBIDDEN, http.StatusForbidden, "forbidden"},
	{galen.ENOTFOUND, http.StatusNotFound, "not-found"},
	{galen.ECONFLICT, http.StatusConflict, "conflict"},
	{galen.EPRECONDITION, http.StatusPreconditionFailed, "incomplete"},
	{galen.ETOOLARGE, http.StatusRequestEntityTooLarge, "too-costly"},
	{galen.EUNSUPPORTED, http.StatusUnsupportedMediaType, "not-supported"},
	{galen.ENOTACCEPTABLE, http.StatusNotAcceptable, "not-supported"},
	{galen.EUNPROCESSABLE, http.StatusUnprocessableEntity, "processing"},
	{galen.EBUSY, http.StatusTooManyRequests, "throttled"},
	{galen.EUNAVAILABLE, http.StatusServiceUnavailable, "transient"},
	{galen.EINTERNAL, http.StatusInternalServerError, "exception"},
	{galen.EINVALID, http.StatusMethodNotAllowed, "invalid"}, // the mux's answer to a known path with another method
}

// StatusForCode returns the HTTP status of a galen error code (500 for an
// unknown code).
func StatusForCode(code string) int {
	for _, row := range statusTable {
		if row.Code == code {
			return row.Status
		}
	}
	return http.StatusInternalServerError
}

// CodeForStatus returns the galen error code for an HTTP error status
// (EINTERNAL for a status not in the table).
func CodeForStatus(status int) string {
	for _, row := range statusTable {
		if row.Status == status {
			return row.Code
		}
	}
	return galen.EINTERNAL
}

// FHIRIssueCode returns the FHIR OperationOutcome issue type for a galen
// error code ("exception" for an unknown code).
func FHIRIssueCode(code string) string {
	for _, row := range statusTable {
		if row.Code == code {
			return row.FHIRCode
		}
	}
	return "exception"
}
