package httpapi

import (
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/galenhealth/galen"
)

// negotiate refuses what a route cannot serve before anything is read: a
// body in a charset other than UTF-8 (EUNSUPPORTED, 415: it would be parsed
// as UTF-8 all the same), and an Accept header that allows none of the
// media types the route answers with (ENOTACCEPTABLE, 406).
func negotiate(r *http.Request, rt route) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && r.ContentLength != 0 {
		if _, params, err := mime.ParseMediaType(ct); err == nil {
			if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
				return galen.Errorf(galen.EUNSUPPORTED, "charset %q is not supported: send UTF-8 (charset=utf-8 or none)", truncateKey(cs))
			}
		}
	}
	produces := rt.Produces
	if produces == nil {
		produces = []string{"application/json"}
	}
	if !acceptable(r.Header.Values("Accept"), produces) {
		return galen.Errorf(galen.ENOTACCEPTABLE, "Accept %q allows none of %s, which is what %s %s answers with",
			truncateKey(strings.Join(r.Header.Values("Accept"), ", ")), strings.Join(produces, ", "), rt.Method, rt.Pattern)
	}
	return nil
}

// acceptable reports whether the Accept header values allow one of the
// media types (RFC 9110 section 12.5.1): no header allows everything; a
// range with q=0 allows nothing; an unparsable range is ignored.
func acceptable(accept []string, types []string) bool {
	if len(accept) == 0 {
		return true
	}
	seen := false
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			seen = true
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			if mt == "*/*" || slices.Contains(types, mt) {
				return true
			}
			if major, ok := strings.CutSuffix(mt, "/*"); ok && slices.ContainsFunc(types, func(t string) bool { return strings.HasPrefix(t, major+"/") }) {
				return true
			}
		}
	}
	return !seen // an empty Accept header is no Accept header
}

// byteSemaphore counts bytes in flight up to max, without waiting: a
// request either gets its bytes at once or is refused.
type byteSemaphore struct {
	max  int64
	used atomic.Int64
}

// tryAcquire takes n bytes if that keeps the count within max.
func (s *byteSemaphore) tryAcquire(n int64) bool {
	for {
		cur := s.used.Load()
		if cur+n > s.max {
			return false
		}
		if s.used.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

func (s *byteSemaphore) release(n int64) { s.used.Add(-n) }

// errBodiesInFlight refuses a body that would take the server over its
// in-flight byte bound.
func (s *Server) errBodiesInFlight(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", "1")
	return galen.Errorf(galen.EUNAVAILABLE, "the server is receiving %d bytes of request bodies at once, its limit; retry shortly", s.bodies.max)
}

// admitBody reserves the request's body bytes against the server-wide
// bound (Config.MaxBodyInFlight) before any is read, and returns the
// function that gives them back. A declared length over the body limit is
// ETOOLARGE at once, without reading; a declared length that does not fit
// is EUNAVAILABLE (503, Retry-After). A body of unknown length (chunked)
// takes bytes as they arrive (see meteredBody) and fails its read with
// EUNAVAILABLE when they do not fit.
func (s *Server) admitBody(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	switch n := r.ContentLength; {
	case n > s.cfg.MaxBody:
		return func() {}, galen.Errorf(galen.ETOOLARGE, "request body of %d bytes is over the %d-byte limit", n, s.cfg.MaxBody)
	case n > 0:
		if !s.bodies.tryAcquire(n) {
			return func() {}, s.errBodiesInFlight(w)
		}
		return func() { s.bodies.release(n) }, nil
	case n < 0:
		mb := &meteredBody{ReadCloser: r.Body, s: s, w: w}
		r.Body = mb
		return func() { s.bodies.release(mb.held.Load()) }, nil
	}
	return func() {}, nil
}

// meteredBody takes each chunk's bytes from the server's in-flight bound
// as it arrives, twice over: a body of unknown length is read into a
// buffer that grows by doubling, so it holds up to twice what arrived.
type meteredBody struct {
	io.ReadCloser
	s    *Server
	w    http.ResponseWriter
	held atomic.Int64
}

func (b *meteredBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		if !b.s.bodies.tryAcquire(2 * int64(n)) {
			return 0, b.s.errBodiesInFlight(b.w)
		}
		b.held.Add(2 * int64(n))
	}
	return n, err
}
