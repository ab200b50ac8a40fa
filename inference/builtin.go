package inference

import (
	"context"
	"fmt"

	"github.com/galenhealth/galen"
)

// Builtin is a model that ships inside the binary and is registered on start.
type Builtin struct {
	Name, Task, Description, Format string
	Card                            galen.ModelCard
	Artifact                        []byte
}

// seedLock is the store lock Seed holds while it registers models.
const seedLock = "inference.seed"

// locker is the part of galen.Store that Seed uses to exclude other
// replicas.
type locker interface {
	WithLock(ctx context.Context, name string, fn func(context.Context) error) error
}

// Seed registers each built-in model that is not in the registry yet: the
// model, its artifact as version 1, and the DefaultAlias pointing at it.
// Models that already have versions are left alone, so an operator's
// uploads and alias moves survive restarts. When the registry is a
// galen.Store, Seed registers under its lock, so that replicas starting at
// once on one database register each model once.
func (m *Manager) Seed(ctx context.Context, builtins []Builtin) error {
	// Checking loads each artifact: do it before taking the lock.
	for _, b := range builtins {
		v := &galen.ModelVersion{ModelName: b.Name, Format: b.Format, Card: b.Card}
		if err := m.Check(ctx, v, b.Artifact); err != nil {
			return fmt.Errorf("built-in model %q: %w", b.Name, err)
		}
	}
	register := func(ctx context.Context) error {
		for _, b := range builtins {
			if err := m.seedLocked(ctx, b); err != nil {
				return fmt.Errorf("built-in model %q: %w", b.Name, err)
			}
		}
		return nil
	}
	if l, ok := m.models.(locker); ok {
		return l.WithLock(ctx, seedLock, register)
	}
	return register(ctx)
}

// seedLocked registers b unless its model has versions. It expects the
// seed lock held.
func (m *Manager) seedLocked(ctx context.Context, b Builtin) error {
	m.Forget(b.Name)
	_, err := m.models.FindModelByName(ctx, b.Name)
	if galen.ErrorCode(err) == galen.ENOTFOUND {
		err = m.models.CreateModel(ctx, &galen.Model{Name: b.Name, Task: b.Task, Description: b.Description})
		if galen.ErrorCode(err) == galen.ECONFLICT {
			err = nil // created meanwhile by a client that does not take the lock
		}
	}
	if err != nil {
		return err
	}
	vs, err := m.models.FindModelVersions(ctx, b.Name)
	if err != nil {
		return err
	}
	if len(vs) > 0 {
		return nil
	}
	v := &galen.ModelVersion{ModelName: b.Name, Format: b.Format, Card: b.Card}
	if err := m.models.CreateModelVersion(ctx, v, b.Artifact); err != nil {
		return fmt.Errorf("store version: %w", err)
	}
	if _, err := m.models.SetAlias(ctx, b.Name, DefaultAlias, v.Version); err != nil {
		return fmt.Errorf("set alias: %w", err)
	}
	return nil
}
