// Package inference loads model versions from the registry into Predictors,
// caches them, and runs inference through a bounded queue per model with a
// deadline per request.
package inference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/ttlcache"
)

// DefaultAlias is the alias used when a request names no version.
const DefaultAlias = "production"

// Config tunes a Manager. Zero fields take the defaults.
type Config struct {
	QueueDepth  int           // requests per model waiting beyond those running (default 64)
	Concurrency int           // requests per model running at once (default GOMAXPROCS)
	Timeout     time.Duration // deadline of one inference (default 30s)
	CacheSize   int           // loaded model versions kept in memory (default 16)
	// ResolveTTL is how long Resolve trusts what the registry said a
	// model and version name resolve to (default DefaultResolveTTL;
	// negative: always ask). Forget applies a change made through this
	// Manager's server at once; a change made elsewhere (the CLI, another
	// replica) is seen within ResolveTTL.
	ResolveTTL time.Duration
	// Logger receives warnings about versions that cannot be loaded (model
	// names, versions, formats and the loader's reason: no patient data);
	// nil discards them.
	Logger *slog.Logger
}

// DefaultResolveTTL is the default Config.ResolveTTL.
const DefaultResolveTTL = time.Second

// maxResolved bounds the resolutions Resolve keeps; past it, it starts over.
const maxResolved = 4096

func (c Config) withDefaults() Config {
	if c.QueueDepth <= 0 {
		c.QueueDepth = 64
	}
	if c.Concurrency <= 0 {
		c.Concurrency = runtime.GOMAXPROCS(0)
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 16
	}
	if c.ResolveTTL == 0 {
		c.ResolveTTL = DefaultResolveTTL
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Loaded is one model version ready to answer.
type Loaded struct {
	Version   *galen.ModelVersion
	Predictor galen.Predictor
}

// Manager loads, caches and runs models. It is safe for concurrent use.
type Manager struct {
	models  galen.ModelService
	loaders map[string]galen.Loader
	cfg     Config

	mu     sync.Mutex
	cache  map[string]*entry // by model, version and artifact hash
	queues map[string]*queue // by model name
	tick   uint64            // LRU clock
	// unloadable remembers versions whose artifact the server cannot
	// load (unknown format, or refused by its Loader), by the cache key:
	// artifacts are immutable, so the answer never changes.
	unloadable map[string]error

	resolved *ttlcache.Cache[resolveKey, galen.ModelVersion] // recent Resolve answers
}

type resolveKey struct{ model, version string }

type entry struct {
	ready    chan struct{} // closed when loaded or failed
	loaded   *Loaded
	err      error
	lastUsed uint64
}

type queue struct {
	admit chan struct{} // one token per admitted request: running or waiting
	run   chan struct{} // one token per running request
}

// NewManager returns a Manager that reads versions from models and builds
// Predictors with loaders, keyed by ModelVersion.Format.
func NewManager(models galen.ModelService, loaders map[string]galen.Loader, cfg Config) *Manager {
	m := &Manager{
		models:  models,
		loaders: loaders,
		cfg:     cfg.withDefaults(),
		cache:   make(map[string]*entry),
		queues:  make(map[string]*queue),

		unloadable: make(map[string]error),
	}
	m.resolved = ttlcache.New(m.cfg.ResolveTTL, maxResolved, func(ctx context.Context, k resolveKey) (*galen.ModelVersion, error) {
		return m.resolve(ctx, k.model, k.version)
	})
	return m
}

// Config returns the effective configuration.
func (m *Manager) Config() Config { return m.cfg }

// Formats returns the artifact formats the Manager can load, sorted.
func (m *Manager) Formats() []string {
	var fs []string
	for f := range m.loaders {
		fs = append(fs, f)
	}
	slices.Sort(fs)
	return fs
}

// Check builds a Predictor from artifact without caching it, so that uploads
// are refused before they are stored. EINVALID for an unknown format or an
// artifact the loader rejects.
func (m *Manager) Check(ctx context.Context, v *galen.ModelVersion, artifact []byte) error {
	load, ok := m.loaders[v.Format]
	if !ok {
		return galen.Errorf(galen.EINVALID, "unknown format %q (known: %v)", v.Format, m.Formats())
	}
	if _, err := safeLoad(ctx, load, v, artifact); err != nil {
		if galen.ErrorCode(err) == galen.EINVALID {
			return err
		}
		return galen.WrapError(galen.EINVALID, fmt.Sprintf("artifact does not load as %s", v.Format), err)
	}
	return nil
}

// Resolve returns the version of model named by version: a number, an alias,
// or "" for the DefaultAlias, falling back to the latest version. ENOTFOUND
// when there is no such model or version. Answers are kept for
// Config.ResolveTTL (see Forget); errors are not kept.
func (m *Manager) Resolve(ctx context.Context, model, version string) (*galen.ModelVersion, error) {
	return m.resolved.Get(ctx, resolveKey{model, version})
}

// Forget drops what Resolve keeps about model, so that a version upload,
// alias change or deletion made through this server applies at once.
func (m *Manager) Forget(model string) {
	m.resolved.Forget(func(k resolveKey, _ *galen.ModelVersion) bool { return k.model == model })
}

func (m *Manager) resolve(ctx context.Context, model, version string) (*galen.ModelVersion, error) {
	if version != "" {
		return m.models.FindModelVersion(ctx, model, version)
	}
	var vs []*galen.ModelVersion
	v, err := m.models.FindModelVersion(ctx, model, DefaultAlias)
	if galen.ErrorCode(err) == galen.ENOTFOUND {
		if vs, err = m.models.FindModelVersions(ctx, model); err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			if _, err := m.models.FindModelByName(ctx, model); err != nil {
				return nil, err
			}
			return nil, galen.Errorf(galen.ENOTFOUND, "model %q has no versions", model)
		}
		v, err = vs[len(vs)-1], nil
	}
	if err != nil {
		return nil, err
	}
	return m.loadable(ctx, v, vs)
}

// loadable returns v, the version a request without a version resolves to,
// if this server can load it; else the newest other version of the model
// it can load, with a warning logged, so that a version the server cannot
// load (one stored before its Loader checked limits, or of a format it
// does not know) is never what it serves by default. vs, if not nil, are
// the model's versions. EUNAVAILABLE if no version loads.
func (m *Manager) loadable(ctx context.Context, v *galen.ModelVersion, vs []*galen.ModelVersion) (*galen.ModelVersion, error) {
	reason := m.loadFailure(ctx, v)
	if reason == nil {
		return v, nil
	}
	if vs == nil {
		var err error
		if vs, err = m.models.FindModelVersions(ctx, v.ModelName); err != nil {
			return nil, err
		}
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Version == v.Version || m.loadFailure(ctx, vs[i]) != nil {
			continue
		}
		m.cfg.Logger.Warn("model version cannot be loaded; serving another by default",
			"model", v.ModelName, "version", v.Version, "format", v.Format, "serving", vs[i].Version, "reason", galen.ErrorMessage(reason))
		return vs[i], nil
	}
	m.cfg.Logger.Error("no version of the model can be loaded",
		"model", v.ModelName, "version", v.Version, "format", v.Format, "reason", galen.ErrorMessage(reason))
	return nil, galen.WrapError(galen.EUNAVAILABLE, fmt.Sprintf("model %q has no version this server can load (version %d: %s)",
		v.ModelName, v.Version, galen.ErrorMessage(reason)), reason)
}

// loadFailure loads v and returns why this server cannot load it, or nil
// if it loads or failed for a reason that may pass (the store, a
// cancelled context).
func (m *Manager) loadFailure(ctx context.Context, v *galen.ModelVersion) error {
	_, err := m.GetVersion(ctx, v)
	var u *unloadableError
	if errors.As(err, &u) {
		return err
	}
	return nil
}

// CheckLoadable returns nil if this server can load version (a number or
// an alias) of model; ECONFLICT, with the reason, for a version it cannot
// load (so that no alias is pointed at one); the registry's errors
// (ENOTFOUND) as they are; nil for a failure that may pass.
func (m *Manager) CheckLoadable(ctx context.Context, model, version string) error {
	v, err := m.models.FindModelVersion(ctx, model, version)
	if err != nil {
		return err
	}
	if reason := m.loadFailure(ctx, v); reason != nil {
		return galen.WrapError(galen.ECONFLICT, fmt.Sprintf("model %q version %d cannot be loaded by this server, so no alias may point at it: %s",
			v.ModelName, v.Version, galen.ErrorMessage(reason)), reason)
	}
	return nil
}

// unloadableError is a version this server cannot load: unknown format or
// an artifact its Loader refuses.
type unloadableError struct{ err error }

func (e *unloadableError) Error() string { return e.err.Error() }
func (e *unloadableError) Unwrap() error { return e.err }

// Preload resolves and loads the default version of up to CacheSize
// models, so that a server logs at start which models it serves and which
// versions it cannot load (see Resolve). It returns only the store's
// errors; a model that cannot be served is logged.
func (m *Manager) Preload(ctx context.Context) error {
	ms, _, err := m.models.FindModels(ctx, galen.ModelFilter{Limit: m.cfg.CacheSize})
	if err != nil {
		return err
	}
	for _, model := range ms {
		m.Forget(model.Name)
		v, err := m.Resolve(ctx, model.Name, "")
		switch {
		case err == nil:
			m.cfg.Logger.Info("model ready", "model", model.Name, "version", v.Version, "format", v.Format)
		case galen.ErrorCode(err) == galen.ENOTFOUND:
		case galen.ErrorCode(err) == galen.EUNAVAILABLE:
			// Logged by loadable.
		default:
			return err
		}
	}
	return nil
}

// Get resolves and loads a version (see Resolve), from the cache when it is
// there. Concurrent calls for the same version load it once.
func (m *Manager) Get(ctx context.Context, model, version string) (*Loaded, error) {
	v, err := m.Resolve(ctx, model, version)
	if err != nil {
		return nil, err
	}
	return m.GetVersion(ctx, v)
}

// GetVersion loads a version that Resolve returned, from the cache when it
// is there, without asking the registry again. Concurrent calls for the
// same version load it once.
func (m *Manager) GetVersion(ctx context.Context, v *galen.ModelVersion) (*Loaded, error) {
	key := v.ModelName + "@" + strconv.Itoa(v.Version) + "#" + v.SHA256

	m.mu.Lock()
	if err, bad := m.unloadable[key]; bad {
		m.mu.Unlock()
		return nil, err
	}
	m.tick++
	e, ok := m.cache[key]
	if ok {
		e.lastUsed = m.tick
		m.mu.Unlock()
		select {
		case <-e.ready:
			return e.loaded, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e = &entry{ready: make(chan struct{}), lastUsed: m.tick}
	m.cache[key] = e
	m.evictLocked()
	m.mu.Unlock()

	// Load without the caller's cancellation, so that one impatient caller
	// does not fail the load for everyone waiting on it.
	e.loaded, e.err = m.load(context.WithoutCancel(ctx), v)
	if e.err != nil {
		m.mu.Lock()
		delete(m.cache, key)
		var u *unloadableError
		if errors.As(e.err, &u) && len(m.unloadable) < maxResolved {
			m.unloadable[key] = e.err
		}
		m.mu.Unlock()
	}
	close(e.ready)
	return e.loaded, e.err
}

func (m *Manager) load(ctx context.Context, v *galen.ModelVersion) (*Loaded, error) {
	load, ok := m.loaders[v.Format]
	if !ok {
		return nil, galen.WrapError(galen.EUNAVAILABLE, fmt.Sprintf("model %q version %d has format %q, which this server cannot load", v.ModelName, v.Version, v.Format),
			&unloadableError{errors.New("unknown format")})
	}
	art, err := m.models.LoadArtifact(ctx, v.ModelName, v.Version)
	if err != nil {
		return nil, fmt.Errorf("load model %q version %d: %w", v.ModelName, v.Version, err)
	}
	p, err := safeLoad(ctx, load, v, art)
	if galen.ErrorCode(err) == galen.EINVALID {
		// The Loader refused the artifact, as it would refuse it on
		// upload now: a version stored before, which this server will
		// never load.
		return nil, galen.WrapError(galen.EUNAVAILABLE, fmt.Sprintf("model %q version %d cannot be loaded: %s", v.ModelName, v.Version, galen.ErrorMessage(err)),
			&unloadableError{err})
	}
	if err != nil {
		return nil, galen.WrapError(galen.EINTERNAL, fmt.Sprintf("model %q version %d failed to load", v.ModelName, v.Version), err)
	}
	return &Loaded{Version: v, Predictor: p}, nil
}

// evictLocked drops the least recently used loaded entries over the cache size.
func (m *Manager) evictLocked() {
	for len(m.cache) > m.cfg.CacheSize {
		var oldKey string
		var oldest uint64
		for k, e := range m.cache {
			select {
			case <-e.ready:
			default:
				continue // still loading
			}
			if oldKey == "" || e.lastUsed < oldest {
				oldKey, oldest = k, e.lastUsed
			}
		}
		if oldKey == "" {
			return
		}
		delete(m.cache, oldKey)
	}
}

func (m *Manager) queue(model string) *queue {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.queues[model]
	if !ok {
		q = &queue{
			admit: make(chan struct{}, m.cfg.Concurrency+m.cfg.QueueDepth),
			run:   make(chan struct{}, m.cfg.Concurrency),
		}
		m.queues[model] = q
	}
	return q
}

// Infer runs l on inputs through the model's queue, with the configured
// deadline (see Do).
func (m *Manager) Infer(ctx context.Context, l *Loaded, inputs []galen.Tensor) ([]galen.Tensor, error) {
	var out []galen.Tensor
	err := m.Do(ctx, l, func(ctx context.Context) error {
		var err error
		out, err = l.Predictor.Infer(ctx, inputs)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkFinite(l, out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkFinite returns EUNPROCESSABLE, naming the output, when a model
// answered with a number that is not finite (an overflow such as 1e308 x
// 1.5, or NaN): JSON cannot carry it, and it is no answer to give a
// clinician.
func checkFinite(l *Loaded, out []galen.Tensor) error {
	for _, t := range out {
		for _, x := range t.Floats {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return galen.Errorf(galen.EUNPROCESSABLE, "model %q version %d gave output %q a value that is not a finite number for this input (an overflow or NaN)",
					l.Version.ModelName, l.Version.Version, t.Name)
			}
		}
	}
	return nil
}

// Do runs fn, a task-specific use of l such as an explained prediction,
// through the model's queue with the configured deadline. EBUSY when the
// queue is full; EUNAVAILABLE when the deadline passes; the caller's
// ctx.Err() when the caller gives up; EINTERNAL if fn panics.
func (m *Manager) Do(ctx context.Context, l *Loaded, fn func(ctx context.Context) error) error {
	q := m.queue(l.Version.ModelName)
	select {
	case q.admit <- struct{}{}:
	default:
		return galen.Errorf(galen.EBUSY, "model %q is busy: %d requests queued", l.Version.ModelName, cap(q.admit))
	}
	defer func() { <-q.admit }()

	ctx, cancel := context.WithTimeoutCause(ctx, m.cfg.Timeout, errDeadline)
	defer cancel()
	select {
	case q.run <- struct{}{}:
	case <-ctx.Done():
		return m.ctxError(ctx, l)
	}
	defer func() { <-q.run }()

	err := safeRun(ctx, l, fn)
	if err != nil && ctx.Err() != nil {
		return m.ctxError(ctx, l)
	}
	return err
}

var errDeadline = errors.New("inference: deadline exceeded")

// safeRun runs fn, turning a panic into an EINTERNAL error so that no
// model's panic crosses this boundary. The error names the panic value's
// type and the stack, never the value: a model's panic message may quote
// its inputs, and servers log internal errors.
func safeRun(ctx context.Context, l *Loaded, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = galen.WrapError(galen.EINTERNAL, fmt.Sprintf("model %q version %d failed", l.Version.ModelName, l.Version.Version),
				fmt.Errorf("inference: panic of type %T\n%s", p, debug.Stack()))
		}
	}()
	return fn(ctx)
}

// safeLoad runs a loader, turning a panic into an error.
func safeLoad(ctx context.Context, load galen.Loader, v *galen.ModelVersion, art []byte) (p galen.Predictor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("inference: loader for %s panicked: %v\n%s", v.Format, r, debug.Stack())
		}
	}()
	return load(ctx, v, art)
}

func (m *Manager) ctxError(ctx context.Context, l *Loaded) error {
	if context.Cause(ctx) == errDeadline {
		return galen.WrapError(galen.EUNAVAILABLE, fmt.Sprintf("model %q did not answer within %s", l.Version.ModelName, m.cfg.Timeout), errDeadline)
	}
	return ctx.Err()
}

// QueueStat is the load of one model's queue.
type QueueStat struct {
	Running int
	Waiting int
}

// QueueStats returns the load of every model's queue, by model name.
func (m *Manager) QueueStats() map[string]QueueStat {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := make(map[string]QueueStat, len(m.queues))
	for name, q := range m.queues {
		run := len(q.run)
		s[name] = QueueStat{Running: run, Waiting: max(len(q.admit)-run, 0)}
	}
	return s
}
