package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
	"github.com/galenhealth/galen/httpapi"
	"github.com/galenhealth/galen/inference"
)

// serveCommands run the server.
func serveCommands() []command {
	return []command{
		{Name: "serve", Usage: "[flags]", Summary: "run the Galen server", Run: runServe},
	}
}

// Config is the whole configuration of `galen serve`. It is read from flags
// and GALEN_* environment variables here, and only here, then copied into
// the components.
type Config struct {
	Addr            string
	DataDir         string
	Store           string // empty: SQLite in DataDir; or a postgres:// URL
	MaxBody         int64
	MaxBodyInFlight int64 // request body bytes held at once, all requests together
	QueueDepth      int
	Concurrency     int
	InferTimeout    time.Duration
	ShutdownTimeout time.Duration
	LogLevel        string
	LogFormat       string
	AdminKey        string   // GALEN_ADMIN_KEY; a secret, never logged
	CDSTrust        string   // trust file of CDS client (EHR) JWT issuers; empty: API keys only
	PublicURL       string   // base URL clients reach the server at, the aud of CDS client JWTs; required with CDSTrust
	CDSFHIRAllow    []string // FHIR base URLs the CDS services may fetch missing prefetch from
}

// configFlags registers every serve flag on fs with its GALEN_* default.
// A flag and its variable share one parser, so both accept the same values.
func (c *CLI) configFlags(cfg *Config, fs *flag.FlagSet) error {
	count := func(dst *int) func(string) error {
		return func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%q is not an integer", s)
			}
			*dst = n
			return nil
		}
	}
	duration := func(dst *time.Duration) func(string) error {
		return func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 30s", s)
			}
			*dst = d
			return nil
		}
	}
	setMaxBody := func(s string) (err error) {
		cfg.MaxBody, err = parseSize(s)
		return err
	}
	setMaxBodyInFlight := func(s string) (err error) {
		cfg.MaxBodyInFlight, err = parseSize(s)
		return err
	}
	setQueueDepth, setConcurrency := count(&cfg.QueueDepth), count(&cfg.Concurrency)
	setInferTimeout, setShutdownTimeout := duration(&cfg.InferTimeout), duration(&cfg.ShutdownTimeout)

	cfg.MaxBody, cfg.QueueDepth, cfg.Concurrency = httpapi.DefaultMaxBody, 64, 0
	cfg.MaxBodyInFlight = httpapi.DefaultMaxBodyInFlight
	cfg.InferTimeout, cfg.ShutdownTimeout = 30*time.Second, 15*time.Second
	var errs []error
	for _, e := range []struct {
		key string
		set func(string) error
	}{
		{"GALEN_MAX_BODY", setMaxBody},
		{"GALEN_MAX_BODY_IN_FLIGHT", setMaxBodyInFlight},
		{"GALEN_QUEUE_DEPTH", setQueueDepth},
		{"GALEN_CONCURRENCY", setConcurrency},
		{"GALEN_INFER_TIMEOUT", setInferTimeout},
		{"GALEN_SHUTDOWN_TIMEOUT", setShutdownTimeout},
	} {
		if s := c.env(e.key, ""); s != "" {
			if err := e.set(s); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", e.key, err))
			}
		}
	}
	cfg.AdminKey = c.env("GALEN_ADMIN_KEY", "")

	fs.StringVar(&cfg.Addr, "addr", c.env("GALEN_ADDR", "127.0.0.1:8080"), "listen address (GALEN_ADDR)")
	fs.StringVar(&cfg.LogLevel, "log-level", c.env("GALEN_LOG_LEVEL", "info"), "debug, info, warn or error (GALEN_LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", c.env("GALEN_LOG_FORMAT", "text"), "text or json (GALEN_LOG_FORMAT)")
	fs.Func("max-body", fmt.Sprintf("request body limit, e.g. 32MiB (GALEN_MAX_BODY; default %d)", cfg.MaxBody), setMaxBody)
	fs.Func("max-body-in-flight", fmt.Sprintf("request body bytes held at once, all requests together; beyond it 503 (GALEN_MAX_BODY_IN_FLIGHT; default %d)", cfg.MaxBodyInFlight), setMaxBodyInFlight)
	fs.Func("queue-depth", fmt.Sprintf("inference requests waiting per model before 429 (GALEN_QUEUE_DEPTH; default %d)", cfg.QueueDepth), setQueueDepth)
	fs.Func("concurrency", "inference requests running per model; 0 = number of CPUs (GALEN_CONCURRENCY)", setConcurrency)
	fs.Func("infer-timeout", fmt.Sprintf("deadline of one inference (GALEN_INFER_TIMEOUT; default %s)", cfg.InferTimeout), setInferTimeout)
	setFHIRAllow := func(s string) error {
		cfg.CDSFHIRAllow = nil
		for _, u := range strings.Split(s, ",") {
			if u = strings.TrimSpace(u); u != "" {
				cfg.CDSFHIRAllow = append(cfg.CDSFHIRAllow, u)
			}
		}
		return nil
	}
	_ = setFHIRAllow(c.env("GALEN_CDS_FHIR_ALLOW", ""))
	fs.StringVar(&cfg.CDSTrust, "cds-trust", c.env("GALEN_CDS_TRUST", ""), "JSON file of CDS client (EHR) JWT issuers and their public keys; empty: API keys only (GALEN_CDS_TRUST)")
	fs.StringVar(&cfg.PublicURL, "public-url", c.env("GALEN_PUBLIC_URL", ""), "base URL clients reach the server at, the aud of CDS client JWTs; required with --cds-trust (GALEN_PUBLIC_URL)")
	fs.Func("cds-fhir-allow", "comma-separated FHIR base URLs the CDS services may fetch missing prefetch from; empty: never fetch (GALEN_CDS_FHIR_ALLOW)", setFHIRAllow)
	fs.Func("shutdown-timeout", fmt.Sprintf("how long shutdown waits for requests in flight (GALEN_SHUTDOWN_TIMEOUT; default %s)", cfg.ShutdownTimeout), setShutdownTimeout)
	return errors.Join(errs...)
}

// parseSize reads a byte count: a plain integer or one with a KiB, MiB or GiB suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if t, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = t, u.n
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size such as 1048576 or 32MiB", s)
	}
	return n * mult, nil
}

// redactURL hides the password of a URL for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func newLogger(cfg Config, c *CLI) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, usageError("log level %q: want debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(c.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(c.Stderr, opts)), nil
	}
	return nil, usageError("log format %q: want text or json", cfg.LogFormat)
}

func runServe(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("serve", "[flags]")
	var cfg Config
	sf := c.addStoreFlags(fs)
	envErr := c.configFlags(&cfg, fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if envErr != nil {
		return fmt.Errorf("%v: %w", envErr, errUsage)
	}
	cfg.DataDir, cfg.Store = sf.DataDir, sf.Store
	logger, err := newLogger(cfg, c)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	store, err := c.OpenStore(ctx, cfg.DataDir, cfg.Store)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer store.Close()

	generated, err := galen.EnsureAdminKey(ctx, store, cfg.AdminKey)
	if err != nil {
		return fmt.Errorf("admin key: %w", err)
	}
	if cfg.AdminKey != "" {
		if _, err := galen.FindKey(ctx, store, cfg.AdminKey); galen.ErrorCode(err) == galen.ENOTFOUND {
			logger.Warn("GALEN_ADMIN_KEY is set but the store already had keys, so it is not a key; use `galen keys create`")
		}
	}
	if generated != "" {
		fmt.Fprintf(c.Stderr, "\nGalen created the first admin API key. It is shown only this once; keep it safe:\n\n    %s\n\n", generated)
	}

	models := inference.NewManager(store, loaders(), inference.Config{
		QueueDepth: cfg.QueueDepth, Concurrency: cfg.Concurrency, Timeout: cfg.InferTimeout, Logger: logger,
	})
	if err := models.Seed(ctx, builtinModels()); err != nil {
		return fmt.Errorf("register built-in models: %w", err)
	}
	// Logs which version each model serves, and falls back from (and
	// warns about) versions this server cannot load.
	if err := models.Preload(ctx); err != nil {
		return fmt.Errorf("load models: %w", err)
	}
	srv, err := httpapi.New(httpapi.Config{MaxBody: cfg.MaxBody, MaxBodyInFlight: cfg.MaxBodyInFlight, WriteTimeout: max(2*time.Minute, cfg.InferTimeout+30*time.Second)}, store, models, logger)
	if err != nil {
		return err
	}
	var issuers []cdshooks.Issuer
	if cfg.CDSTrust != "" {
		if issuers, err = cdshooks.LoadTrust(cfg.CDSTrust); err != nil {
			return err
		}
	}
	if err := srv.ConfigureCDS(httpapi.CDSConfig{Issuers: issuers, PublicURL: cfg.PublicURL, FHIRAllow: cfg.CDSFHIRAllow}); err != nil {
		return fmt.Errorf("cds configuration: %w", err)
	}
	cdsIssuers := make([]string, len(issuers))
	for i, is := range issuers {
		cdsIssuers[i] = is.Issuer + " (" + string(is.Role) + ")"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	storeDesc := "sqlite:" + cfg.DataDir
	if cfg.Store != "" {
		storeDesc = redactURL(cfg.Store)
	}
	icfg := models.Config()
	logger.Info("galen serving", "addr", ln.Addr().String(), "data_dir", cfg.DataDir, "store", storeDesc,
		"max_body", cfg.MaxBody, "max_body_in_flight", max(cfg.MaxBodyInFlight, cfg.MaxBody), "queue_depth", icfg.QueueDepth, "concurrency", icfg.Concurrency,
		"infer_timeout", icfg.Timeout.String(), "shutdown_timeout", cfg.ShutdownTimeout.String(),
		"log_level", cfg.LogLevel, "admin_key_from_env", cfg.AdminKey != "", "formats", models.Formats(),
		"public_url", cfg.PublicURL, "cds_trusted_issuers", cdsIssuers, "cds_fhir_allow", cfg.CDSFHIRAllow)
	if c.listening != nil {
		c.listening(ln.Addr().String())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}
