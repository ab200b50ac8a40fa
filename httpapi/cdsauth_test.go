package httpapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/internal/cdstest"
	"github.com/galenhealth/galen/outcome"
	"github.com/galenhealth/galen/sqlite"
)

// newCDSEnv returns an outcomeEnv whose server has the CDS configuration
// cfg, with the server and its logs (debug level).
func newCDSEnv(tb testing.TB, cfg CDSConfig) (*outcomeEnv, *Server, *lockedWriter) {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "galen.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	mgr := inference.NewManager(db, map[string]galen.Loader{outcome.Format: outcome.Loader}, inference.Config{})
	if err := mgr.Seed(ctx, []inference.Builtin{{Name: DefaultOutcomeModel, Task: "outcome", Format: outcome.Format,
		Card: outcome.BuiltinCard(), Artifact: outcome.BuiltinArtifact()}}); err != nil {
		tb.Fatal(err)
	}
	logs := &lockedWriter{}
	srv, err := New(Config{}, db, mgr, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.ConfigureCDS(cfg); err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(hs.Close)
	env := &outcomeEnv{url: hs.URL, store: db, keys: map[galen.Role]string{}}
	for _, role := range galen.Roles {
		k, secret, err := galen.GenerateKey(role, string(role))
		if err != nil {
			tb.Fatal(err)
		}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			tb.Fatal(err)
		}
		env.keys[role] = secret
	}
	return env, srv, logs
}

func sendCDS(tb testing.TB, method, url, token string, body []byte) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return send(tb, req)
}

func TestCDSClientJWT(t *testing.T) {
	es := cdstest.NewEHR(t, "https://ehr.example.org", "es-1", jose.ES384)
	rs := cdstest.NewEHR(t, "https://rs-ehr.example.org/cds", "rs-1", jose.RS384)
	es256 := cdstest.NewEHR(t, "https://small-ehr.example.org", "es256", jose.ES256)
	aud := cdstest.NewEHR(t, "https://audit-ehr.example.org", "a-1", jose.ES384)
	other := cdstest.NewEHR(t, "https://ehr.example.org", "es-1", jose.ES384) // same iss and kid, another key
	stranger := cdstest.NewEHR(t, "https://stranger.example.org", "s-1", jose.ES384)
	const public = "https://galen.example.org"
	env, _, _ := newCDSEnv(t, CDSConfig{PublicURL: public, Issuers: []cdshooks.Issuer{
		{Issuer: es.Iss, JWKS: es.JWKS(t)},
		{Issuer: rs.Iss, JWKS: rs.JWKS(t), Role: galen.RoleClinician},
		{Issuer: es256.Iss, JWKS: es256.JWKS(t)},
		{Issuer: aud.Iss, JWKS: aud.JWKS(t), Role: galen.RoleAuditor},
	}})
	const path = "/cds-services/icu-mortality-risk"
	const endpoint = public + path
	full := icustay.BundleFromStay(sampleStay(), mustTime(t, "2012-05-01T08:00:00Z"))
	body := hookRequest(t, map[string]any{"patient": full.Entry[0].Resource, "observations": &fhir.Bundle{Type: "searchset", Entry: full.Entry[1:]}}, "")

	pubDER, err := x509.MarshalPKIXPublicKey(es.Priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		token   func(t *testing.T) string
		twice   bool // send once first, expecting success
		want    int
		wantMsg string
	}{
		{"ES384", path, func(t *testing.T) string { return es.Sign(t, es.Claims(endpoint)) }, false, 200, ""},
		{"RS384", path, func(t *testing.T) string { return rs.Sign(t, rs.Claims(endpoint)) }, false, 200, ""},
		{"ES256", path, func(t *testing.T) string { return es256.Sign(t, es256.Claims(endpoint)) }, false, 200, ""},
		{"aud as a list", path, func(t *testing.T) string {
			c := es.Claims(endpoint)
			c.Audience = jwt.Audience{"https://elsewhere.example.org", endpoint}
			return es.Sign(t, c)
		}, false, 200, ""},
		{"feedback with the service endpoint as aud", path + "/feedback", func(t *testing.T) string { return es.Sign(t, es.Claims(endpoint)) }, false, 200, ""},
		{"discovery", "/cds-services", func(t *testing.T) string { return es.Sign(t, es.Claims(public+"/cds-services")) }, false, 200, ""},
		{"auditor issuer may read discovery", "/cds-services", func(t *testing.T) string { return aud.Sign(t, aud.Claims(public+"/cds-services")) }, false, 200, ""},
		{"auditor issuer may not call the service", path, func(t *testing.T) string { return aud.Sign(t, aud.Claims(endpoint)) }, false, 403, `role "auditor"`},
		{"wrong signature", path, func(t *testing.T) string { return other.Sign(t, es.Claims(endpoint)) }, false, 401, "signature does not verify"},
		{"unknown kid", path, func(t *testing.T) string {
			e := *es
			e.Kid = "rotated-away"
			return e.Sign(t, es.Claims(endpoint))
		}, false, 401, `no key with kid "rotated-away"`},
		{"unknown issuer", path, func(t *testing.T) string { return stranger.Sign(t, stranger.Claims(endpoint)) }, false, 401, `issuer "https://stranger.example.org" is not trusted`},
		{"missing iss", path, func(t *testing.T) string {
			c := es.Claims(endpoint)
			c.Issuer = ""
			return es.Sign(t, c)
		}, false, 401, "iss is missing"},
		{"wrong aud", path, func(t *testing.T) string { return es.Sign(t, es.Claims("https://other-cds.example.org"+path)) }, false, 401, "aud"},
		{"aud of the address it was reached at", path, func(t *testing.T) string { return es.Sign(t, es.Claims(env.url+path)) }, false, 401, "is not this endpoint"},
		{"aud of another service", path, func(t *testing.T) string { return es.Sign(t, es.Claims(public+"/cds-services/other")) }, false, 401, "is not this endpoint"},
		{"expired", path, func(t *testing.T) string {
			c := es.Claims(endpoint)
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(time.Now().Add(-10*time.Minute)), jwt.NewNumericDate(time.Now().Add(-5*time.Minute))
			return es.Sign(t, c)
		}, false, 401, "expired at"},
		{"lifetime over five minutes", path, func(t *testing.T) string {
			c := es.Claims(endpoint)
			c.Expiry = jwt.NewNumericDate(time.Now().Add(time.Hour))
			return es.Sign(t, c)
		}, false, 401, "at most 5m0s"},
		{"iat in the future", path, func(t *testing.T) string {
			c := es.Claims(endpoint)
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(3 * time.Minute))
			return es.Sign(t, c)
		}, false, 401, "iat"},
		{"no jti", path, func(t *testing.T) string {
			c := es.Claims(endpoint)
			c.ID = ""
			return es.Sign(t, c)
		}, false, 401, "jti is missing"},
		{"no exp", path, func(t *testing.T) string {
			c := es.Claims(endpoint)
			c.Expiry = nil
			return es.Sign(t, c)
		}, false, 401, "exp is missing"},
		{"replayed jti", path, func(t *testing.T) string { return es.Sign(t, es.Claims(endpoint)) }, true, 401, "jti was already used"},
		{"alg none", path, func(t *testing.T) string {
			return cdstest.RawJWT(t, map[string]any{"alg": "none", "typ": "JWT"}, es.Claims(endpoint), func([]byte) []byte { return nil })
		}, false, 401, `alg "none" is not accepted`},
		{"HS256 with the public key as secret", path, func(t *testing.T) string {
			return cdstest.RawJWT(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": es.Kid}, es.Claims(endpoint), func(in []byte) []byte {
				m := hmac.New(sha256.New, pubDER)
				m.Write(in)
				return m.Sum(nil)
			})
		}, false, 401, `alg "HS256" is not accepted`},
		{"ES384 header over an RS384 key", path, func(t *testing.T) string {
			return cdstest.RawJWT(t, map[string]any{"alg": "ES384", "kid": rs.Kid}, rs.Claims(endpoint), func([]byte) []byte { return make([]byte, 96) })
		}, false, 401, "signature does not verify"},
		{"malformed payload", path, func(t *testing.T) string {
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES384"}`)) + ".%%%.c2ln"
		}, false, 401, "malformed"},
		{"not JSON claims", path, func(t *testing.T) string {
			return cdstest.RawJWT(t, map[string]any{"alg": "ES384", "kid": es.Kid}, "just a string", func([]byte) []byte { return make([]byte, 96) })
		}, false, 401, "malformed"},
		{"garbage is an unknown API key", path, func(t *testing.T) string { return "a.b.c" }, false, 401, "unknown API key"},
		{"API key still works", path, func(t *testing.T) string { return env.keys[galen.RoleClinician] }, false, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(t)
			method, b := "POST", body
			switch {
			case tt.path == "/cds-services":
				method, b = "GET", nil
			case strings.HasSuffix(tt.path, "/feedback"):
				b = []byte(`{"feedback":[{"card":"c1","outcome":"accepted","outcomeTimestamp":"2026-11-28T10:00:00Z"}]}`)
			}
			if tt.twice {
				if resp, rb := sendCDS(t, method, env.url+tt.path, token, b); resp.StatusCode != 200 {
					t.Fatalf("first use: status %d: %s", resp.StatusCode, rb)
				}
			}
			resp, rb := sendCDS(t, method, env.url+tt.path, token, b)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, rb)
			}
			var e struct{ Error string }
			_ = json.Unmarshal(rb, &e)
			if !strings.Contains(e.Error, tt.wantMsg) {
				t.Errorf("error lacks %q: %s", tt.wantMsg, rb)
			}
			if sig := token[strings.LastIndexByte(token, '.')+1:]; len(sig) > 8 && strings.Contains(string(rb), sig) {
				t.Errorf("the answer echoes the token: %s", rb)
			}
			if tt.want == 401 {
				if e.Error == "" || resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 body %s is not {\"error\": ...} with WWW-Authenticate", rb)
				}
			}
		})
	}

	// A token minted for another CDS service, replayed to Galen with that
	// service's Host, is not for this endpoint: aud is checked against the
	// public URL, never the Host the caller sends.
	t.Run("Host of the service the token was minted for", func(t *testing.T) {
		const otherHost = "other-cds.example.org"
		for _, scheme := range []string{"http", "https"} {
			token := es.Sign(t, es.Claims(scheme+"://"+otherHost+path))
			req, err := http.NewRequest("POST", env.url+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = otherHost
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			rb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || !strings.Contains(string(rb), "is not this endpoint") {
				t.Fatalf("aud %s://%s: status %d: %s", scheme, otherHost, resp.StatusCode, rb)
			}
		}
	})

	t.Run("audit records the issuer and role", func(t *testing.T) {
		if resp, rb := sendCDS(t, "POST", env.url+path, rs.Sign(t, rs.Claims(endpoint)), body); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, rb)
		}
		id := "jwt:" + rs.Iss
		evs, _, err := env.store.FindAuditEvents(context.Background(), galen.AuditFilter{KeyID: &id})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Role != galen.RoleClinician || evs[0].Route != path || evs[0].Status != 200 || evs[0].InputSHA256 == "" {
			t.Fatalf("audit events of %s: %+v", id, evs)
		}
	})
}

func TestCDSClientJWTPublicURL(t *testing.T) {
	es := cdstest.NewEHR(t, "https://ehr.example.org", "k", jose.ES384)
	env, _, _ := newCDSEnv(t, CDSConfig{PublicURL: "https://galen.example.org/prefix/", Issuers: []cdshooks.Issuer{{Issuer: es.Iss, JWKS: es.JWKS(t)}}})
	tests := []struct {
		name string
		aud  string
		want int
	}{
		{"public URL", "https://galen.example.org/prefix/cds-services", 200},
		{"public URL with a trailing slash", "https://galen.example.org/prefix/cds-services/", 200},
		{"the address it was reached at", env.url + "/cds-services", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := sendCDS(t, "GET", env.url+"/cds-services", es.Sign(t, es.Claims(tt.aud)), nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
		})
	}
}

func TestCDSClientJWTNotConfigured(t *testing.T) {
	env := newOutcomeEnv(t)
	es := cdstest.NewEHR(t, "https://ehr.example.org", "k", jose.ES384)
	resp, b := sendCDS(t, "GET", env.url+"/cds-services", es.Sign(t, es.Claims(env.url+"/cds-services")), nil)
	if resp.StatusCode != 401 || !strings.Contains(string(b), "trusts no CDS client issuers") {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	// Other routes never take a JWT: it is an unknown API key there.
	resp, b = sendCDS(t, "GET", env.url+"/v1/models", es.Sign(t, es.Claims(env.url+"/v1/models")), nil)
	if resp.StatusCode != 401 || !strings.Contains(string(b), "unknown API key") {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
}

func TestConfigureCDSErrors(t *testing.T) {
	_, srv, _ := newCDSEnv(t, CDSConfig{})
	es := cdstest.NewEHR(t, "https://ehr.example.org", "k", jose.ES384)
	tests := []struct {
		name    string
		cfg     CDSConfig
		wantMsg string
	}{
		{"bad public URL", CDSConfig{PublicURL: "galen.example.org"}, "public URL"},
		{"bad allowlist entry", CDSConfig{FHIRAllow: []string{"ftp://ehr.example.org"}}, "allowlist"},
		{"bad jwks", CDSConfig{PublicURL: "https://galen.example.org", Issuers: []cdshooks.Issuer{{Issuer: "a", JWKS: json.RawMessage(`{"keys":[{"kty":"EC"}]}`)}}}, "jwks"},
		{"issuers without a public URL", CDSConfig{Issuers: []cdshooks.Issuer{{Issuer: es.Iss, JWKS: es.JWKS(t)}}}, "--public-url (GALEN_PUBLIC_URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := srv.ConfigureCDS(tt.cfg)
			if galen.ErrorCode(err) != galen.EINVALID || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err %v, want invalid naming %q", err, tt.wantMsg)
			}
		})
	}
	if err := srv.ConfigureCDS(CDSConfig{PublicURL: "https://galen.example.org", Issuers: []cdshooks.Issuer{{Issuer: es.Iss, JWKS: es.JWKS(t)}}}); err != nil {
		t.Fatalf("issuers with a public URL: %v", err)
	}
}
