package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
)

// fillPath turns a route pattern into a concrete path that touches nothing
// important: DELETE routes name things that do not exist.
func fillPath(rt route) string {
	r := strings.NewReplacer("{name}", "lin", "{version}", "1", "{alias}", "production", "{id}", "key_nonexistent")
	if rt.Method == "DELETE" {
		r = strings.NewReplacer("{name}", "no-such-model", "{id}", "key_nonexistent")
	}
	return r.Replace(rt.Pattern)
}

// TestRouteRoles sends every route as every kind of caller and checks the
// answer against roleMatrix, the policy written out by hand: 401 without a
// valid key, 403 for a role the matrix does not allow, and otherwise the
// route's own handler answers. A route missing from the matrix, or a matrix
// row without a route, fails.
func TestRouteRoles(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	callers := []string{"admin", "clinician", "scientist", "auditor", "", "revoked"}
	served := map[string]bool{}
	for _, rt := range env.srv.routes {
		served[rt.Method+" "+rt.Pattern] = true
	}
	for _, r := range roleMatrix {
		if !served[r.route] {
			t.Errorf("roleMatrix has %q, which the server does not serve", r.route)
		}
	}
	for _, rt := range env.srv.routes {
		if _, found := allowedByMatrix(rt.Method+" "+rt.Pattern, "admin"); !found {
			t.Errorf("%s %s is not in roleMatrix (rolematrix_test.go): write down who may call it", rt.Method, rt.Pattern)
			continue
		}
		for _, who := range callers {
			name := who
			if name == "" {
				name = "no key"
			}
			t.Run(rt.Method+" "+rt.Pattern+"/"+name, func(t *testing.T) {
				var body []byte
				ct := ""
				if rt.Method == "POST" || rt.Method == "PUT" {
					body, ct = []byte(`{}`), "application/json"
				}
				resp, b := env.do(t, who, rt.Method, fillPath(rt), ct, body)
				if resp.Header.Get("X-Request-Id") == "" {
					t.Fatalf("status %d without X-Request-Id: the route table's handler did not answer (%q)", resp.StatusCode, b)
				}
				allowed, _ := allowedByMatrix(rt.Method+" "+rt.Pattern, who)
				var want int
				switch {
				case allowed:
					want = 0
				case who == "" || who == "revoked":
					want = http.StatusUnauthorized
				default:
					want = http.StatusForbidden
				}
				switch {
				case want != 0 && resp.StatusCode != want:
					t.Errorf("status %d, want %d (%s)", resp.StatusCode, want, b)
				case want == 0 && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
					t.Errorf("status %d, want the handler's answer (%s)", resp.StatusCode, b)
				case want != 0:
					errorOf(t, resp, b)
				}
			})
		}
	}
}

func TestEveryRouteAllowsAdmin(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	for _, rt := range env.srv.routes {
		if len(rt.Roles) > 0 && !slices.Contains(rt.Roles, galen.RoleAdmin) {
			t.Errorf("%s %s: admin may do everything, but is not allowed", rt.Method, rt.Pattern)
		}
		if rt.Summary == "" || rt.Tag == "" || rt.Handler == nil {
			t.Errorf("%s %s: summary, tag and handler are required", rt.Method, rt.Pattern)
		}
		if !strings.HasPrefix(rt.Pattern, "/v1/") && !strings.HasPrefix(rt.Pattern, "/v2") && rt.Tag != "meta" && len(rt.Roles) > 0 &&
			!strings.HasPrefix(rt.Pattern, "/cds-services") {
			t.Errorf("%s %s: routes live under /v1/ or /v2/", rt.Method, rt.Pattern)
		}
		if strings.HasPrefix(rt.Pattern, "/v2/health/") != (len(rt.Roles) == 0) && !strings.HasPrefix(rt.Pattern, "/cds-services") {
			t.Errorf("%s %s: only /v2/health/* may be public", rt.Method, rt.Pattern)
		}
	}
}

// TestOpenAPI checks that every route of the table is in /openapi.json, and
// nothing else.
func TestOpenAPI(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	resp, b := env.do(t, "clinician", "GET", "/openapi.json", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	n := 0
	for _, rt := range env.srv.routes {
		op, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s is not in /openapi.json", rt.Method, rt.Pattern)
			continue
		}
		// Routes that take a CDS client JWT say so.
		if jwt := strings.Contains(string(op), `"cdsClientJWT"`); jwt != (rt.Authn != nil) {
			t.Errorf("%s %s: cdsClientJWT in its security is %v, route takes a JWT: %v", rt.Method, rt.Pattern, jwt, rt.Authn != nil)
		}
	}
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	if n != len(env.srv.routes) {
		t.Errorf("/openapi.json has %d operations, the route table %d", n, len(env.srv.routes))
	}
	// Every $ref points at a component.
	for _, ref := range strings.Split(string(b), `"$ref": "#/components/schemas/`)[1:] {
		name, _, _ := strings.Cut(ref, `"`)
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("$ref to missing schema %q", name)
		}
	}
	for _, name := range []string{"InferenceRequest", "InferTensor", "ModelCard", "AuditEvent"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("schema %q missing", name)
		}
	}
}
