package galen

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in httpapi.
const (
	EINVALID      = "invalid"      // the caller sent something wrong (400)
	EUNAUTHORIZED = "unauthorized" // no or unknown credentials (401)
	EFORBIDDEN    = "forbidden"    // credentials lack the role (403)
	ENOTFOUND     = "not_found"    // no such resource (404)
	ECONFLICT     = "conflict"     // the resource exists or changed (409)
	ETOOLARGE     = "too_large"    // the body is over the limit (413)
	EUNSUPPORTED  = "unsupported"  // wrong content type (415)
	EPRECONDITION = "precondition" // data the request needs is missing and cannot be fetched (412)
	EBUSY         = "busy"         // a queue is full; retry later (429)
	EUNAVAILABLE  = "unavailable"  // not ready or shutting down (503)
	EINTERNAL     = "internal"     // a bug or an outside failure (500)
)

// Error is Galen's application error: a code, a message safe to show the
// caller, optionally every problem found in the caller's input, each at its
// place, and optionally the underlying error, which is never shown.
type Error struct {
	Code     string
	Message  string
	Problems []Problem
	Err      error
}

// Error implements the error interface.
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return fmt.Sprintf("galen %s: %s: %v", e.Code, e.Message, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("galen %s: %v", e.Code, e.Err)
	default:
		return fmt.Sprintf("galen %s: %s", e.Code, e.Message)
	}
}

// Unwrap returns the underlying error, so errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.Err }

// ProblemsError returns an *Error with the given code that lists problems;
// its message counts them and names the first.
func ProblemsError(code string, ps []Problem) *Error {
	msg := fmt.Sprintf("%d problems in the request", len(ps))
	if len(ps) == 1 {
		msg = "1 problem in the request"
	}
	if len(ps) > 0 {
		msg += ": " + ps[0].Path + ": " + ps[0].Message
		if ps[0].Path == "" {
			msg = ps[0].Message
		}
	}
	return &Error{Code: code, Message: msg, Problems: ps}
}

// ErrorProblems returns the problems of the first *Error in err's chain.
func ErrorProblems(err error) []Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the given code and message that wraps err.
func WrapError(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, and a generic message for any other error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "internal error"
}
