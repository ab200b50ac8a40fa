package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/jsonscan"
	"github.com/galenhealth/galen/internal/jsonstrict"
)

// route is one entry of the route table. The mux, the role check, the audit
// log, the metrics and /openapi.json are all built from these entries.
type route struct {
	Method  string       // "GET", "POST", ...
	Pattern string       // path pattern in http.ServeMux syntax, e.g. "/v1/models/{name}"
	Roles   []galen.Role // roles allowed; empty means public (no key needed)
	// Audit writes an audit event for every authenticated request. The body
	// is read whole, once, to hash it (handlers get the bytes from
	// requestBody), and the answer is buffered until the event is stored,
	// so an audited route cannot stream.
	Audit   bool
	Handler func(w http.ResponseWriter, r *http.Request) error
	// Authn, if set, sees the bearer token before the API-key check: it
	// returns the identity the token proves, an error, or nil, nil to leave
	// the token to the API-key check (the CDS routes accept client JWTs).
	Authn func(r *http.Request, token string) (*galen.APIKey, error)
	// Deidentify marks a text route whose text is de-identified (tag
	// mode) before a model sees it: its handler passes the text through
	// modelText.
	Deidentify bool
	Summary    string // one line for /openapi.json and the README
	Tag        string // OpenAPI group, e.g. "oip", "models"

	Request  any      // zero value of the JSON body type, or nil
	Response any      // zero value of the success body type, or nil for none
	Status   int      // success status; 200 if zero
	Query    []string // query parameters, for the OpenAPI document
	// Produces lists the media types the route answers with (nil:
	// application/json); a request whose Accept allows none gets 406.
	Produces []string
}

// Role sets used by the route table.
var (
	anyRole       = []galen.Role{galen.RoleAdmin, galen.RoleClinician, galen.RoleScientist, galen.RoleAuditor}
	predictRoles  = []galen.Role{galen.RoleAdmin, galen.RoleClinician, galen.RoleScientist}
	registryRead  = []galen.Role{galen.RoleAdmin, galen.RoleClinician, galen.RoleScientist, galen.RoleAuditor}
	registryWrite = []galen.Role{galen.RoleAdmin, galen.RoleScientist}
	adminOnly     = []galen.Role{galen.RoleAdmin}
	auditRoles    = []galen.Role{galen.RoleAdmin, galen.RoleAuditor}
)

// allRoutes returns the whole route table: one explicit list of route
// sets, one per file of this package. A new capability adds its
// s.<capability>Routes() here; its CDS Hooks services go in cdsServices.
func (s *Server) allRoutes() []route {
	return slices.Concat(
		s.oipRoutes(),
		s.modelRoutes(),
		s.keyRoutes(),
		s.auditRoutes(),
		s.cdsRoutes(),
		s.metaRoutes(),
		s.outcomeRoutes(),
		s.deidRoutes(),
		s.imagingRoutes(),
		s.textRoutes(),
		s.kgRoutes(),
	)
}

// reqInfo is what the middleware and handlers of one request share.
type reqInfo struct {
	id    string
	route *route
	key   *galen.APIKey // nil until authenticated
	// failedKeyID names the key of a refused request for its audit event:
	// a revoked key's id, auditNoKey or auditUnknownKey.
	failedKeyID string
	client      string // the peer's IP, for the audit log
	model       string // for the audit log; defaults to the {name} path value
	version     int    // set by handlers that resolve a version
	body        []byte // the whole body, once read by readBody
	hasBody     bool   // body holds the whole body
}

type infoKey struct{}

// info returns the request's reqInfo.
func info(r *http.Request) *reqInfo { return infoFrom(r.Context()) }

// infoFrom returns the reqInfo of the request whose context ctx is.
func infoFrom(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{route: &route{}}
}

// statusWriter records the status a handler wrote. When buffered, it holds
// the whole response back until flush, so that an audited answer leaves
// only after its audit event is stored, and an error or panic half-way
// through can still be answered cleanly.
type statusWriter struct {
	http.ResponseWriter
	status   int
	buffered bool
	buf      bytes.Buffer
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	if !w.buffered {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.buffered {
		return w.buf.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// FlushError implements http.ResponseController's Flush: a no-op while
// buffered (flush sends everything at the end).
func (w *statusWriter) FlushError() error {
	if w.buffered {
		return nil
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discard drops a buffered response so that another can be written; it
// reports whether it could.
func (w *statusWriter) discard() bool {
	if !w.buffered && w.status != 0 {
		return false
	}
	w.status = 0
	w.buf.Reset()
	return true
}

// flush sends a buffered response.
func (w *statusWriter) flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if !w.buffered {
		return
	}
	w.buffered = false
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(w.buf.Bytes())
}

// wrap builds the handler of one route: request id, body limit, panic
// recovery, authentication and role check, audit, metrics. Responses of
// audited routes are buffered: if their audit event cannot be stored, the
// caller gets 503 instead of the answer.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// The audit log gets the {name} path value only when it is a valid
		// model name: the caller chooses it, up to the URL's length.
		ri := &reqInfo{id: newRequestID(), route: &rt, model: galen.AuditModel(r.PathValue("name")), client: peerIP(r.RemoteAddr)}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
		sw := &statusWriter{ResponseWriter: w, buffered: rt.Audit}
		sw.Header().Set("X-Request-Id", ri.id)
		if len(rt.Roles) > 0 {
			// Answers behind a key may carry patient risk: no cache may
			// keep them.
			sw.Header().Set("Cache-Control", "no-store")
		}
		r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBody)
		release := func() {}
		defer func() { release() }()
		var bodyHash string
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				// The panic value is not logged, only its type: a parser's
				// or model's panic message may quote patient data.
				s.logger.Error("handler panic", "request_id", ri.id, "route", rt.Method+" "+rt.Pattern,
					"panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
				if sw.discard() {
					s.writeError(sw, r, galen.Errorf(galen.EINTERNAL, "internal error"))
				}
			}
			if len(rt.Roles) > 0 && ri.key == nil && sw.status == http.StatusUnauthorized {
				s.auditAuthFailure(r.Context(), ri, r.Method, time.Since(start))
			}
			if !rt.Audit && ri.key != nil && sw.status == http.StatusForbidden {
				// A key used beyond its role is audited on every route;
				// the answer is 403 whether or not the event is stored.
				_ = s.writeAudit(r.Context(), ri, r.Method, "", http.StatusForbidden, time.Since(start))
			}
			if rt.Audit && ri.key != nil {
				status := sw.status
				if status == 0 {
					status = http.StatusOK
				}
				if err := s.writeAudit(r.Context(), ri, r.Method, bodyHash, status, time.Since(start)); err != nil && sw.discard() {
					s.writeError(sw, r, galen.Errorf(galen.EUNAVAILABLE, "the audit log cannot be written, so the answer is withheld"))
				}
			}
			sw.flush()
			lat := time.Since(start)
			s.metrics.observeRequest(rt, sw.status, lat)
			s.logger.Debug("request", "request_id", ri.id, "method", rt.Method, "route", rt.Pattern, "status", sw.status, "latency_ms", float64(lat.Microseconds())/1000)
		}()
		err := s.authenticate(r, rt, ri)
		if err == nil {
			err = negotiate(r, rt)
		}
		if err == nil {
			release, err = s.admitBody(sw, r)
		}
		if err == nil && rt.Audit {
			bodyHash, err = readBody(r, ri, s.cfg.MaxBody)
		}
		if err == nil {
			err = rt.Handler(sw, r)
		}
		if err != nil {
			if !sw.discard() {
				s.logger.Warn("error after response started", "request_id", ri.id, "route", rt.Method+" "+rt.Pattern, "err", err)
				return
			}
			s.writeError(sw, r, err)
		}
	})
}

// authenticate checks the bearer key and its role for non-public routes.
func (s *Server) authenticate(r *http.Request, rt route, ri *reqInfo) error {
	if len(rt.Roles) == 0 {
		return nil
	}
	h := r.Header.Get("Authorization")
	const scheme = "Bearer " // case-insensitive (RFC 9110 section 11.1)
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) || strings.TrimSpace(h[len(scheme):]) == "" {
		ri.failedKeyID = auditNoKey
		if h != "" {
			ri.failedKeyID = auditUnknownKey // another scheme, or an empty key
		}
		return galen.Errorf(galen.EUNAUTHORIZED, "missing API key: send Authorization: Bearer <key>")
	}
	ri.failedKeyID = auditUnknownKey // until a key is found
	token := strings.TrimSpace(h[len(scheme):])
	var k *galen.APIKey
	var err error
	if rt.Authn != nil {
		if k, err = rt.Authn(r, token); err != nil {
			return err
		}
	}
	if k == nil {
		k, err = s.keys.lookupSecret(r.Context(), token)
	}
	switch {
	case galen.ErrorCode(err) == galen.ENOTFOUND:
		return galen.Errorf(galen.EUNAUTHORIZED, "unknown API key")
	case err != nil:
		return fmt.Errorf("find api key: %w", err)
	case k.RevokedAt != nil:
		ri.failedKeyID = k.ID
		return galen.Errorf(galen.EUNAUTHORIZED, "API key %s was revoked", k.ID)
	}
	ri.key = k
	if !slices.Contains(rt.Roles, k.Role) {
		return galen.Errorf(galen.EFORBIDDEN, "role %q may not %s %s", k.Role, rt.Method, rt.Pattern)
	}
	return nil
}

// readBody reads the whole body (within limit) once, keeps it in ri for
// requestBody and as the handler's r.Body, and returns its hex SHA-256, or
// "" for an empty body.
func readBody(r *http.Request, ri *reqInfo, limit int64) (string, error) {
	b, err := readAll(r.Body, min(r.ContentLength, limit))
	if err != nil {
		return "", bodyReadError(r, len(b), err)
	}
	ri.body, ri.hasBody = b, true
	r.Body = io.NopCloser(bytes.NewReader(b))
	if len(b) == 0 {
		return "", nil
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// requestBody returns the whole request body: on an audited route the
// bytes the middleware read to hash them, elsewhere the body read now.
// Every body is JSON: one with a key twice in an object is EINVALID, since
// decoders differ on which of the two they keep.
func requestBody(r *http.Request) ([]byte, error) {
	ri := info(r)
	if !ri.hasBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyReadError(r, len(b), err)
		}
		ri.body, ri.hasBody = b, true
	}
	if key, at, dup := jsonscan.DuplicateKey(ri.body); dup {
		return nil, galen.Errorf(galen.EINVALID, "malformed JSON: key %q appears twice in one object (second at byte %d)", truncateKey(key), at)
	}
	return ri.body, nil
}

// truncateKey shortens a key quoted in an error.
func truncateKey(k string) string {
	if len(k) > 40 {
		return strings.ToValidUTF8(k[:40], "") + "…"
	}
	return k
}

// bodyReadError turns the failure to read a body into the caller's error
// where it is the caller's: a body that ends before its Content-Length
// (the client closed or half-closed the connection) is EINVALID, not an
// internal error; the body limit and the in-flight limit pass through.
func bodyReadError(r *http.Request, got int, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return galen.WrapError(galen.EINVALID, fmt.Sprintf("request body ended after %d of the %d bytes its Content-Length declares", got, r.ContentLength), err)
	}
	return err
}

// readAll is io.ReadAll for a body of size bytes, the declared
// Content-Length (-1 if unknown). The buffer starts at no more than 1 MiB
// and doubles as bytes arrive, jumping to size+1 once that is less than
// two doublings away: a declared length alone cannot make the server hold
// --max-body per connection (at most 4x what was received), and a body of
// known length costs less than twice its size in allocations.
func readAll(rd io.Reader, size int64) ([]byte, error) {
	const first = 1 << 20
	b := make([]byte, 0, max(min(size+1, first), 512))
	for {
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			newCap := 2 * cap(b)
			if want := size + 1; want > int64(cap(b)) && want < 2*int64(newCap) {
				newCap = int(want)
			}
			nb := make([]byte, len(b), newCap)
			copy(nb, b)
			b = nb
		}
	}
}

// peerIP returns the host part of a RemoteAddr ("192.0.2.1:5000" or
// "[2001:db8::1]:5000"), or the whole of it if it has no port. It is the
// peer the server saw: behind a proxy, the proxy.
func peerIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// decodeJSON decodes the request body into v. It needs Content-Type
// application/json (else EUNSUPPORTED), one JSON value within the body limit
// (else ETOOLARGE), and reports malformed JSON, wrong field types and, when
// strict, unknown fields as EINVALID naming the place.
func decodeJSON(r *http.Request, v any, strict bool) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := requestBody(r)
	if err != nil {
		return err
	}
	return decodeBody(bytes.NewReader(body), v, strict)
}

// decodeBody decodes one JSON value from rd into v (jsonstrict.Decode) and
// turns a failure into EINVALID naming the place, or ETOOLARGE's
// *http.MaxBytesError.
func decodeBody(rd io.Reader, v any, strict bool) error {
	if err := jsonstrict.Decode(rd, v, strict); err != nil {
		return jsonError(err)
	}
	return nil
}

// requireJSON checks that the request's Content-Type is application/json
// (EUNSUPPORTED if not).
func requireJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return galen.Errorf(galen.EUNSUPPORTED, "Content-Type must be application/json, not %q", r.Header.Get("Content-Type"))
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, jsonstrict.ErrTrailing):
		return galen.Errorf(galen.EINVALID, "malformed JSON: more data after the first value")
	case errors.Is(err, io.EOF):
		return galen.Errorf(galen.EINVALID, "request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return galen.Errorf(galen.EINVALID, "malformed JSON: body ends too early")
	case errors.As(err, &syn):
		return galen.Errorf(galen.EINVALID, "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return galen.Errorf(galen.EINVALID, "body is JSON %s, want %s", typ.Value, jsonKind(typ.Type.Kind().String()))
		}
		return galen.Errorf(galen.EINVALID, "field %q is JSON %s, want %s", typ.Field, typ.Value, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "): // encoding/json has no typed error for this
		return galen.Errorf(galen.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return galen.WrapError(galen.EINVALID, "malformed JSON", err)
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	default:
		return "a number"
	}
}
