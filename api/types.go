// Package api holds Galen's JSON wire types and a Go client for the HTTP API.
// The CLI and outside Go programs talk to a Galen server only through this
// package.
package api

import (
	"time"

	"github.com/galenhealth/galen"
)

// Error is the body of every error response. Problems lists every problem
// of a bad request body, each at its JSON path, when there are any.
type Error struct {
	Error    string          `json:"error"`
	Problems []galen.Problem `json:"problems,omitempty"`
}

// ServerMetadata answers GET /v2 (Open Inference Protocol v2).
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// Health answers GET /v2/health/live and /v2/health/ready.
type Health struct {
	Live  *bool `json:"live,omitempty"`
	Ready *bool `json:"ready,omitempty"`
}

// ModelReady answers GET /v2/models/{name}[/versions/{version}]/ready.
type ModelReady struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Ready   bool   `json:"ready"`
}

// TensorMetadata describes one input or output of a model; -1 in Shape means
// any size along that axis.
type TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// ModelMetadata answers GET /v2/models/{name}[/versions/{version}].
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions,omitempty"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs"`
	Outputs  []TensorMetadata `json:"outputs"`
}

// InferenceRequest is the body of POST /v2/models/{name}[/versions/{version}]/infer.
type InferenceRequest struct {
	ID         string          `json:"id,omitempty"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Inputs     []InferTensor   `json:"inputs"`
	Outputs    []RequestOutput `json:"outputs,omitempty"`
}

// RequestOutput names an output the caller wants; none means all.
type RequestOutput struct {
	Name       string         `json:"name"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// InferenceResponse answers an inference request.
type InferenceResponse struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version,omitempty"`
	ID           string         `json:"id,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Outputs      []InferTensor  `json:"outputs"`
}

// CreateModelRequest is the body of POST /v1/models.
type CreateModelRequest struct {
	Name        string `json:"name"`
	Task        string `json:"task"`
	Description string `json:"description,omitempty"`
}

// ModelList answers GET /v1/models.
type ModelList struct {
	Models []*galen.Model `json:"models"`
	Total  int            `json:"total"`
}

// ModelDetail answers GET /v1/models/{name}: the model with its versions and aliases.
type ModelDetail struct {
	Model    *galen.Model          `json:"model"`
	Versions []*galen.ModelVersion `json:"versions"`
	Aliases  []*galen.Alias        `json:"aliases"`
}

// VersionList answers GET /v1/models/{name}/versions.
type VersionList struct {
	Versions []*galen.ModelVersion `json:"versions"`
}

// UploadVersionRequest is the body of POST /v1/models/{name}/versions. The
// artifact travels base64-encoded; its Format must name a loader the server knows.
type UploadVersionRequest struct {
	Format   string          `json:"format"`
	Card     galen.ModelCard `json:"card"`
	Artifact []byte          `json:"artifact"`
}

// AliasList answers GET /v1/models/{name}/aliases.
type AliasList struct {
	Aliases []*galen.Alias `json:"aliases"`
}

// SetAliasRequest is the body of PUT /v1/models/{name}/aliases/{alias}.
type SetAliasRequest struct {
	Version int `json:"version"`
}

// CreateKeyRequest is the body of POST /v1/keys.
type CreateKeyRequest struct {
	Role galen.Role `json:"role"`
	Name string     `json:"name,omitempty"`
}

// CreateKeyResponse answers POST /v1/keys. Secret is shown only here, once.
type CreateKeyResponse struct {
	Key    *galen.APIKey `json:"key"`
	Secret string        `json:"secret"`
}

// KeyList answers GET /v1/keys.
type KeyList struct {
	Keys []*galen.APIKey `json:"keys"`
}

// AuditQuery selects events in GET /v1/audit. Zero fields match everything.
type AuditQuery struct {
	Since  time.Time
	Until  time.Time
	KeyID  string
	Model  string
	Limit  int
	Offset int
}

// AuditList answers GET /v1/audit, newest first.
type AuditList struct {
	Events []*galen.AuditEvent `json:"events"`
	Total  int                 `json:"total"`
}
