package httpapi

// The access policy, written out by hand: who may call each route. It is
// the expectation of TestRouteRoles and deliberately not derived from the
// route table (route.go), so that a route added or widened there without a
// matching change here fails. Columns: without a key (public), admin,
// clinician, scientist, auditor. Source: ../shared/DESIGN.md "Trust" (every
// endpoint but health needs a key; admins manage keys; auditors read the
// audit log and the registry but never see predictions; only admins and
// scientists change the registry; only admins delete).
const (
	y = true
	n = false
)

var roleMatrix = []struct {
	route                                        string
	public, admin, clinician, scientist, auditor bool
}{
	{"GET /v2/health/live", y, y, y, y, y},
	{"GET /v2/health/ready", y, y, y, y, y},
	{"GET /v2", n, y, y, y, y},
	{"GET /v2/models/{name}", n, y, y, y, n},
	{"GET /v2/models/{name}/ready", n, y, y, y, n},
	{"POST /v2/models/{name}/infer", n, y, y, y, n},
	{"GET /v2/models/{name}/versions/{version}", n, y, y, y, n},
	{"GET /v2/models/{name}/versions/{version}/ready", n, y, y, y, n},
	{"POST /v2/models/{name}/versions/{version}/infer", n, y, y, y, n},
	{"GET /v1/models", n, y, y, y, y},
	{"POST /v1/models", n, y, n, y, n},
	{"GET /v1/models/{name}", n, y, y, y, y},
	{"DELETE /v1/models/{name}", n, y, n, n, n},
	{"GET /v1/models/{name}/versions", n, y, y, y, y},
	{"POST /v1/models/{name}/versions", n, y, n, y, n},
	{"GET /v1/models/{name}/versions/{version}", n, y, y, y, y},
	{"GET /v1/models/{name}/aliases", n, y, y, y, y},
	{"PUT /v1/models/{name}/aliases/{alias}", n, y, n, y, n},
	{"POST /v1/models/{name}/aliases/{alias}/rollback", n, y, n, y, n},
	{"POST /v1/keys", n, y, n, n, n},
	{"GET /v1/keys", n, y, n, n, n},
	{"DELETE /v1/keys/{id}", n, y, n, n, n},
	{"GET /v1/audit", n, y, n, n, y},
	{"GET /cds-services", n, y, y, y, y},
	{"POST /cds-services/icu-mortality-risk", n, y, y, y, n},
	{"POST /cds-services/icu-mortality-risk/feedback", n, y, y, y, n},
	{"GET /metrics", n, y, y, y, y},
	{"GET /openapi.json", n, y, y, y, y},
	{"POST /v1/outcome/predict", n, y, y, y, n},
	{"POST /v1/text/deidentify", n, y, y, y, n},
	{"POST /v1/imaging/classify", n, y, y, y, n},
	{"POST /v1/text/classify", n, y, y, y, n},
	{"GET /v1/kg/search", n, y, y, y, n},
	{"GET /v1/kg/entities/{id}", n, y, y, y, n},
	{"GET /v1/kg/entities/{id}/neighbours", n, y, y, y, n},
	{"POST /v1/kg/subgraph", n, y, y, y, n},
	{"GET /v1/kg/paths", n, y, y, y, n},
	{"POST /v1/kg/interactions", n, y, y, y, n},
	{"POST /v1/kg/suggest-diseases", n, y, y, y, n},
}

// allowedByMatrix reports whether who ("" for no key, "revoked" for a
// revoked key, or a role) may call route according to roleMatrix, and
// whether the matrix has a row for route at all.
func allowedByMatrix(route, who string) (allowed, found bool) {
	for _, r := range roleMatrix {
		if r.route != route {
			continue
		}
		switch who {
		case "", "revoked":
			return r.public, true
		case "admin":
			return r.admin, true
		case "clinician":
			return r.clinician, true
		case "scientist":
			return r.scientist, true
		case "auditor":
			return r.auditor, true
		}
		return false, true
	}
	return false, false
}
