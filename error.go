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
	EUNSUPPORTED  = "unsupported"  // wrong content type or charset (415)
	// ENOTACCEPTABLE: no media type the caller accepts can be answered (406).
	ENOTACCEPTABLE = "not_acceptable"
	EPRECONDITION  = "precondition" // data the request needs is missing and cannot be fetched (412)
	// EUNPROCESSABLE: the request was well formed but the model cannot
	// answer it, e.g. its output for this input is not a finite number (422).
	EUNPROCESSABLE = "unprocessable"
	EBUSY          = "busy"        // a queue is full; retry later (429)
	EUNAVAILABLE   = "unavailable" // not ready or shutting down (503)
	EINTERNAL      = "internal"    // a bug or an outside failure (500)
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
// its message counts them and names the first error (severity "", "error"
// or "fatal"), not a warning listed before it. With warnings among the
// problems it counts errors and warnings apart: "1 error in the request
// (and 48 warnings): path: message".
func ProblemsError(code string, ps []Problem) *Error {
	first, errs := -1, 0
	for i, p := range ps {
		if p.IsError() {
			errs++
			if first < 0 {
				first = i
			}
		}
	}
	if first < 0 { // only warnings: name the first
		first = 0
	}
	msg := fmt.Sprintf("%d problems in the request", len(ps))
	switch {
	case len(ps) == 1:
		msg = "1 problem in the request"
	case errs < len(ps):
		msg = fmt.Sprintf("%s in the request (and %s)", plural(errs, "error"), plural(len(ps)-errs, "warning"))
	}
	if len(ps) > 0 {
		p := ps[first]
		switch {
		case p.Path == "" && len(ps) == 1:
			msg = p.Message
		default:
			msg += ": " + p.String()
		}
	}
	return &Error{Code: code, Message: msg, Problems: ps}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
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
