// Package httpapi is Galen's HTTP layer and nothing else: the Open
// Inference Protocol v2 routes, the /v1 task and registry API, the CDS Hooks
// routes, API-key authentication with roles, the audit log, Prometheus
// metrics and the OpenAPI description. Every route is one entry in a table
// (allRoutes in route.go, one explicit list with one route set per file)
// from which the mux, the role checks, the audit, the metrics and
// /openapi.json are all built. A handler decodes the request, calls the
// capability (outcome/, cdshooks/ ...) and encodes the answer; the rules
// of each capability live in its own package.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/inference"
)

// Config tunes a Server. Zero fields take the defaults.
type Config struct {
	MaxBody           int64         // request body limit in bytes (default 32 MiB)
	ReadHeaderTimeout time.Duration // default 10s
	ReadTimeout       time.Duration // whole request, body included (default 2m)
	WriteTimeout      time.Duration // default 2m; keep above the inference timeout
	IdleTimeout       time.Duration // keep-alive (default 2m)
	Version           string        // reported by GET /v2 (default "dev")
	// KeyCacheTTL is how long an API key found in the store is trusted
	// without asking again (default DefaultKeyCacheTTL; negative: always
	// ask). Revocation through this server applies at once; revocation
	// elsewhere (the CLI, another replica) takes up to this long.
	KeyCacheTTL time.Duration
	// DeidKey is the secret key of the de-identification surrogates (same
	// key, same fake names and date shifts); empty: a random key per
	// server start.
	DeidKey []byte
	// MaxBodyInFlight bounds the bytes of request bodies the server holds
	// or is receiving at once, all requests together (default
	// DefaultMaxBodyInFlight, at least MaxBody); a request that would go
	// over it gets 503 with Retry-After before its body is read.
	MaxBodyInFlight int64
	// ImagingMaxBytes and ImagingMaxPixels bound an image sent to
	// /v1/imaging/classify (defaults DefaultImagingMaxBytes, 16 MiB, and
	// DefaultImagingMaxPixels); over them the answer is 413.
	ImagingMaxBytes  int64
	ImagingMaxPixels int
}

// DefaultMaxBody is the default request body limit.
const DefaultMaxBody = 32 << 20

// DefaultMaxBodyInFlight is the default Config.MaxBodyInFlight.
const DefaultMaxBodyInFlight = 128 << 20

func (c Config) withDefaults() Config {
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 2 * time.Minute
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 2 * time.Minute
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.KeyCacheTTL == 0 {
		c.KeyCacheTTL = DefaultKeyCacheTTL
	}
	if c.MaxBodyInFlight <= 0 {
		c.MaxBodyInFlight = DefaultMaxBodyInFlight
	}
	c.MaxBodyInFlight = max(c.MaxBodyInFlight, c.MaxBody)
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.ImagingMaxBytes <= 0 {
		c.ImagingMaxBytes = DefaultImagingMaxBytes
	}
	if c.ImagingMaxPixels <= 0 {
		c.ImagingMaxPixels = DefaultImagingMaxPixels
	}
	return c
}

// Server serves Galen's HTTP API.
type Server struct {
	cfg     Config
	store   galen.Store
	models  *inference.Manager
	logger  *slog.Logger
	metrics *metrics
	keys    *keyCache
	routes  []route
	handler http.Handler
	openapi []byte
	http    *http.Server
	closing atomic.Bool
	// cdsConfig is set by ConfigureCDS (see cdsauth.go); nil means API
	// keys only and no FHIR fetch.
	cdsConfig atomic.Pointer[cdsState]
	// authFailures rate-limits audit events of failed authentications.
	authFailures authFailureLimiter
	// kg is the knowledge graph, loaded from the store on first use (kg.go).
	kg kgState
	// deid is the de-identifier of /v1/text/deidentify (see deid.go).
	deid deidState
	// bodies counts the request body bytes in flight (see admitBody).
	bodies byteSemaphore
}

// New returns a Server that keeps its state in store and runs models through models.
func New(cfg Config, store galen.Store, models *inference.Manager, logger *slog.Logger) (*Server, error) {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, store: store, models: models, logger: logger}
	s.authFailures.max = maxAuditedAuthFailures
	s.bodies.max = cfg.MaxBodyInFlight
	s.metrics = newMetrics(models)
	s.keys = newKeyCache(cfg.KeyCacheTTL, store)
	s.routes = s.allRoutes()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		if err := registerRoute(mux, rt, s.wrap(rt)); err != nil {
			return nil, err
		}
	}
	doc, err := json.MarshalIndent(openAPI(s.routes, cfg.Version), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("httpapi: openapi: %w", err)
	}
	s.openapi = doc
	s.handler = s.unmatched(mux)
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// registerRoute adds rt to mux, turning the mux's panic on a conflicting
// pattern into an error.
func registerRoute(mux *http.ServeMux, rt route, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("httpapi: route %s %s: %v", rt.Method, rt.Pattern, p)
		}
	}()
	mux.Handle(rt.Method+" "+rt.Pattern, h)
	return nil
}

// unmatched answers requests that match no route with a JSON 404 or 405
// (with Allow) instead of the mux's plain text, and counts them.
func (s *Server) unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		var err error
		switch probe.status {
		case http.StatusNotFound:
			err = galen.Errorf(galen.ENOTFOUND, "no route for %s %s; see /openapi.json", r.Method, r.URL.Path)
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			err = galen.Errorf(galen.EINVALID, "method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, probe.header.Get("Allow"))
		default: // a redirect to the clean path, or similar: let the mux answer
			mux.ServeHTTP(w, r)
			return
		}
		s.metrics.requests.WithLabelValues("unmatched", r.Method, strconv.Itoa(probe.status)).Inc()
		_ = writeJSON(w, probe.status, api.Error{Error: galen.ErrorMessage(err)})
	})
}

// probeWriter records what the mux's own 404 and 405 handlers would answer.
type probeWriter struct {
	header http.Header
	status int
}

func (w *probeWriter) Header() http.Header         { return w.header }
func (w *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *probeWriter) WriteHeader(status int)      { w.status = status }

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until Shutdown. It returns nil after a
// clean shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown marks the server not ready, stops accepting connections and waits
// for requests in flight until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	return s.http.Shutdown(ctx)
}
