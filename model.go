package galen

import (
	"context"
	"time"
)

// Model is a named model in the registry, e.g. "icu-mortality". Its trained
// weights live in immutable, numbered versions.
type Model struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Task        string    `json:"task"` // e.g. "outcome", "diagnosis", "image"
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ModelVersion is one immutable trained artifact of a model. The artifact
// bytes are stored with their SHA-256, which is checked on every load.
type ModelVersion struct {
	ModelID   int64     `json:"model_id"`
	ModelName string    `json:"model_name"`
	Version   int       `json:"version"` // 1, 2, ... assigned by the store
	Format    string    `json:"format"`  // names the Loader, e.g. "outcome-grud/v1"
	SHA256    string    `json:"sha256"`  // hex SHA-256 of the artifact
	Size      int64     `json:"size"`    // artifact bytes
	Card      ModelCard `json:"card"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"` // API key id
}

// ModelCard documents a model version: what it does, what it was trained on
// under which license, how it was evaluated, and where it must not be used.
type ModelCard struct {
	Task         string             `json:"task"`
	TrainingData string             `json:"training_data"`
	DataLicense  string             `json:"data_license"`
	Split        string             `json:"split,omitempty"` // how train/validation/test were drawn
	Seed         int64              `json:"seed,omitempty"`
	Metrics      map[string]float64 `json:"metrics,omitempty"` // on the held-out test split
	IntendedUse  string             `json:"intended_use"`
	Limitations  string             `json:"limitations"`
}

// Alias points a name such as "production" at one version of a model. Moving
// an alias keeps its history so that it can be rolled back.
type Alias struct {
	ModelName string    `json:"model_name"`
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ModelFilter selects models in FindModels. Zero fields match everything; a
// Limit of 0 means no limit; a negative Offset or Limit is EINVALID.
type ModelFilter struct {
	Name   *string
	Task   *string
	Offset int
	Limit  int
}

// ModelService is the model registry.
type ModelService interface {
	// FindModelByName returns ENOTFOUND if there is no such model.
	FindModelByName(ctx context.Context, name string) (*Model, error)
	// FindModels returns the matching models ordered by name, and their total
	// count before Offset and Limit. EINVALID for a bad filter.
	FindModels(ctx context.Context, filter ModelFilter) ([]*Model, int, error)
	// CreateModel sets m.ID and timestamps. Returns EINVALID for a bad name
	// and ECONFLICT if the name is taken.
	CreateModel(ctx context.Context, m *Model) error
	// DeleteModel deletes a model with its versions and aliases. ENOTFOUND if absent.
	DeleteModel(ctx context.Context, name string) error

	// CreateModelVersion stores artifact as the next version of the model
	// named v.ModelName, setting v.Version, v.SHA256, v.Size and v.CreatedAt.
	// Returns ENOTFOUND for an unknown model and EINVALID for an empty artifact,
	// a missing Format, or a card without task, training data or license.
	CreateModelVersion(ctx context.Context, v *ModelVersion, artifact []byte) error
	// FindModelVersion returns one version; version may be a number or an
	// alias name. ENOTFOUND if absent.
	FindModelVersion(ctx context.Context, model, version string) (*ModelVersion, error)
	// FindModelVersions returns all versions of a model, oldest first.
	// ENOTFOUND if there is no such model.
	FindModelVersions(ctx context.Context, model string) ([]*ModelVersion, error)
	// LoadArtifact returns the version's artifact after checking its SHA-256.
	// A mismatch returns EINTERNAL and the bytes are not returned.
	LoadArtifact(ctx context.Context, model string, version int) ([]byte, error)

	// SetAlias points alias at version, recording the move. ENOTFOUND if the
	// model or version does not exist; EINVALID for a numeric alias name.
	SetAlias(ctx context.Context, model, alias string, version int) (*Alias, error)
	// RollbackAlias moves alias back to the version it pointed at before its
	// last move. ENOTFOUND if the model, the alias or an earlier version is
	// missing.
	RollbackAlias(ctx context.Context, model, alias string) (*Alias, error)
	// FindAliases returns the current aliases of a model, ordered by name.
	// ENOTFOUND if there is no such model.
	FindAliases(ctx context.Context, model string) ([]*Alias, error)
}
