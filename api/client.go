package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/galenhealth/galen"
)

// Client talks to a Galen server. An error answer from the server is a
// *galen.Error with the code that matches the HTTP status (see
// CodeForStatus), an unreachable server is EUNAVAILABLE, and other failures
// (encoding, decoding) are plain errors, which galen.ErrorCode reports as
// EINTERNAL.
type Client struct {
	base *url.URL
	key  string
	// HTTP is the client used for requests; http.DefaultClient if nil.
	HTTP *http.Client
}

// NewClient returns a client for the server at baseURL (e.g.
// "http://127.0.0.1:8080") that authenticates with key.
func NewClient(baseURL, key string) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, galen.Errorf(galen.EINVALID, "server URL %q must look like http://host:port", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, key: key}, nil
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out when out is not nil.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("new request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return galen.WrapError(galen.EUNAVAILABLE, fmt.Sprintf("%s %s: server unreachable", method, path), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var e Error
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			e.Error += " (retry after " + ra + "s)"
		}
		return galen.Errorf(CodeForStatus(resp.StatusCode), "%s", e.Error)
	}
	if out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s response: %w", method, path, err)
	}
	return nil
}

func esc(s string) string { return url.PathEscape(s) }

// modelPath returns the OIP path of a model, with the version when given.
func modelPath(model, version string) string {
	p := "/v2/models/" + esc(model)
	if version != "" {
		p += "/versions/" + esc(version)
	}
	return p
}

// ServerMetadata calls GET /v2.
func (c *Client) ServerMetadata(ctx context.Context) (*ServerMetadata, error) {
	var m ServerMetadata
	return &m, c.do(ctx, "GET", "/v2", nil, nil, &m)
}

// Ready calls GET /v2/health/ready; nil means ready.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, "GET", "/v2/health/ready", nil, nil, nil)
}

// ModelMetadata calls GET /v2/models/{model}[/versions/{version}]; an empty
// version means the model's default (its "production" alias, else the latest).
func (c *Client) ModelMetadata(ctx context.Context, model, version string) (*ModelMetadata, error) {
	var m ModelMetadata
	return &m, c.do(ctx, "GET", modelPath(model, version), nil, nil, &m)
}

// ModelReady calls GET /v2/models/{model}[/versions/{version}]/ready.
func (c *Client) ModelReady(ctx context.Context, model, version string) (*ModelReady, error) {
	var m ModelReady
	return &m, c.do(ctx, "GET", modelPath(model, version)+"/ready", nil, nil, &m)
}

// Infer calls POST /v2/models/{model}[/versions/{version}]/infer.
func (c *Client) Infer(ctx context.Context, model, version string, req *InferenceRequest) (*InferenceResponse, error) {
	var r InferenceResponse
	return &r, c.do(ctx, "POST", modelPath(model, version)+"/infer", nil, req, &r)
}

// ListModels calls GET /v1/models.
func (c *Client) ListModels(ctx context.Context) (*ModelList, error) {
	var l ModelList
	return &l, c.do(ctx, "GET", "/v1/models", nil, nil, &l)
}

// CreateModel calls POST /v1/models.
func (c *Client) CreateModel(ctx context.Context, req *CreateModelRequest) (*galen.Model, error) {
	var m galen.Model
	return &m, c.do(ctx, "POST", "/v1/models", nil, req, &m)
}

// Model calls GET /v1/models/{name}.
func (c *Client) Model(ctx context.Context, name string) (*ModelDetail, error) {
	var d ModelDetail
	return &d, c.do(ctx, "GET", "/v1/models/"+esc(name), nil, nil, &d)
}

// DeleteModel calls DELETE /v1/models/{name}.
func (c *Client) DeleteModel(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/v1/models/"+esc(name), nil, nil, nil)
}

// ListVersions calls GET /v1/models/{name}/versions.
func (c *Client) ListVersions(ctx context.Context, name string) (*VersionList, error) {
	var l VersionList
	return &l, c.do(ctx, "GET", "/v1/models/"+esc(name)+"/versions", nil, nil, &l)
}

// UploadVersion calls POST /v1/models/{name}/versions.
func (c *Client) UploadVersion(ctx context.Context, name string, req *UploadVersionRequest) (*galen.ModelVersion, error) {
	var v galen.ModelVersion
	return &v, c.do(ctx, "POST", "/v1/models/"+esc(name)+"/versions", nil, req, &v)
}

// Version calls GET /v1/models/{name}/versions/{version}; version is a number or an alias.
func (c *Client) Version(ctx context.Context, name, version string) (*galen.ModelVersion, error) {
	var v galen.ModelVersion
	return &v, c.do(ctx, "GET", "/v1/models/"+esc(name)+"/versions/"+esc(version), nil, nil, &v)
}

// ListAliases calls GET /v1/models/{name}/aliases.
func (c *Client) ListAliases(ctx context.Context, name string) (*AliasList, error) {
	var l AliasList
	return &l, c.do(ctx, "GET", "/v1/models/"+esc(name)+"/aliases", nil, nil, &l)
}

// SetAlias calls PUT /v1/models/{name}/aliases/{alias}.
func (c *Client) SetAlias(ctx context.Context, name, alias string, version int) (*galen.Alias, error) {
	var a galen.Alias
	return &a, c.do(ctx, "PUT", "/v1/models/"+esc(name)+"/aliases/"+esc(alias), nil, &SetAliasRequest{Version: version}, &a)
}

// RollbackAlias calls POST /v1/models/{name}/aliases/{alias}/rollback.
func (c *Client) RollbackAlias(ctx context.Context, name, alias string) (*galen.Alias, error) {
	var a galen.Alias
	return &a, c.do(ctx, "POST", "/v1/models/"+esc(name)+"/aliases/"+esc(alias)+"/rollback", nil, struct{}{}, &a)
}

// CreateKey calls POST /v1/keys. The secret in the answer is shown only once.
func (c *Client) CreateKey(ctx context.Context, req *CreateKeyRequest) (*CreateKeyResponse, error) {
	var r CreateKeyResponse
	return &r, c.do(ctx, "POST", "/v1/keys", nil, req, &r)
}

// ListKeys calls GET /v1/keys.
func (c *Client) ListKeys(ctx context.Context) (*KeyList, error) {
	var l KeyList
	return &l, c.do(ctx, "GET", "/v1/keys", nil, nil, &l)
}

// RevokeKey calls DELETE /v1/keys/{id}.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/v1/keys/"+esc(id), nil, nil, nil)
}

// Audit calls GET /v1/audit.
func (c *Client) Audit(ctx context.Context, q AuditQuery) (*AuditList, error) {
	v := url.Values{}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	if q.KeyID != "" {
		v.Set("key", q.KeyID)
	}
	if q.Model != "" {
		v.Set("model", q.Model)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	var l AuditList
	return &l, c.do(ctx, "GET", "/v1/audit", v, nil, &l)
}
