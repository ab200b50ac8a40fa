package kg

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/galenhealth/galen"
)

// Service keeps the in-memory graph in step with the store. The first call
// to Graph loads it; after that, at most every CheckEvery, Graph asks the
// store for its generation and, when another process (or replica) has
// imported since, rebuilds the graph in the background while answering
// from the one it has.
type Service struct {
	store      galen.KGService
	checkEvery time.Duration
	logger     *slog.Logger

	mu        sync.Mutex
	graph     *Graph
	checked   time.Time
	reloading bool
}

// NewService returns a Service over store; checkEvery <= 0 means 5 s.
func NewService(store galen.KGService, checkEvery time.Duration, logger *slog.Logger) *Service {
	if checkEvery <= 0 {
		checkEvery = 5 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, checkEvery: checkEvery, logger: logger}
}

// Graph returns the current graph, loading it on first use. EUNAVAILABLE
// if the store holds no graph yet.
func (s *Service) Graph(ctx context.Context) (*Graph, error) {
	s.mu.Lock()
	g := s.graph
	due := g != nil && time.Since(s.checked) >= s.checkEvery && !s.reloading
	if due {
		s.checked = time.Now()
		s.reloading = true
	}
	s.mu.Unlock()
	if g == nil {
		return s.loadFirst(ctx)
	}
	if due {
		go s.refresh(g.Generation)
	}
	return g, nil
}

// loadFirst loads the graph, one caller at a time.
func (s *Service) loadFirst(ctx context.Context) (*Graph, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.graph != nil {
		return s.graph, nil
	}
	g, err := Load(ctx, s.store)
	if err != nil {
		return nil, err
	}
	if n, _ := g.Len(); n == 0 {
		return nil, galen.Errorf(galen.EUNAVAILABLE, "the knowledge graph is empty: run `galen kg import --data DIR` first")
	}
	s.graph, s.checked = g, time.Now()
	return g, nil
}

// refresh rebuilds the graph if the store's generation moved on.
func (s *Service) refresh(have int64) {
	defer func() {
		s.mu.Lock()
		s.reloading = false
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gen, err := s.store.KGGeneration(ctx)
	if err != nil || gen == have {
		return
	}
	g, err := Load(ctx, s.store)
	if err != nil {
		s.logger.Warn("knowledge graph reload failed; still answering from the previous one", "err", err)
		return
	}
	s.mu.Lock()
	s.graph = g
	s.mu.Unlock()
	n, e := g.Len()
	s.logger.Info("knowledge graph reloaded", "generation", g.Generation, "nodes", n, "edges", e)
}

// Refresh reloads the graph now if the store's generation moved on, and
// returns the current graph.
func (s *Service) Refresh(ctx context.Context) (*Graph, error) {
	s.mu.Lock()
	g := s.graph
	s.mu.Unlock()
	if g == nil {
		return s.loadFirst(ctx)
	}
	gen, err := s.store.KGGeneration(ctx)
	if err != nil {
		return nil, err
	}
	if gen == g.Generation {
		return g, nil
	}
	ng, err := Load(ctx, s.store)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.graph, s.checked = ng, time.Now()
	s.mu.Unlock()
	return ng, nil
}
