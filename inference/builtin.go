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

// Seed registers each built-in model that is not in the registry yet: the
// model, its artifact as version 1, and the DefaultAlias pointing at it.
// Models that already have versions are left alone, so an operator's
// uploads and alias moves survive restarts. Safe to run from several
// replicas at once.
func (m *Manager) Seed(ctx context.Context, builtins []Builtin) error {
	for _, b := range builtins {
		m.Forget(b.Name)
		v := &galen.ModelVersion{ModelName: b.Name, Format: b.Format, Card: b.Card}
		if err := m.Check(ctx, v, b.Artifact); err != nil {
			return fmt.Errorf("built-in model %q: %w", b.Name, err)
		}
		_, err := m.models.FindModelByName(ctx, b.Name)
		if galen.ErrorCode(err) == galen.ENOTFOUND {
			err = m.models.CreateModel(ctx, &galen.Model{Name: b.Name, Task: b.Task, Description: b.Description})
			if galen.ErrorCode(err) == galen.ECONFLICT {
				err = nil // another replica won the race
			}
		}
		if err != nil {
			return fmt.Errorf("built-in model %q: %w", b.Name, err)
		}
		vs, err := m.models.FindModelVersions(ctx, b.Name)
		if err != nil {
			return fmt.Errorf("built-in model %q: %w", b.Name, err)
		}
		if len(vs) > 0 {
			continue
		}
		if err := m.models.CreateModelVersion(ctx, v, b.Artifact); err != nil {
			return fmt.Errorf("built-in model %q: store version: %w", b.Name, err)
		}
		if _, err := m.models.SetAlias(ctx, b.Name, DefaultAlias, v.Version); err != nil {
			return fmt.Errorf("built-in model %q: set alias: %w", b.Name, err)
		}
	}
	return nil
}
