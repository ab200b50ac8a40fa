package httpapi

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
)

var update = flag.Bool("update", false, "rewrite the route table in ../docs/api.md")

const (
	routesBegin = "<!-- BEGIN ROUTES: generated from the route table by `go test ./httpapi -run TestREADMERoutes -update` -->\n"
	routesEnd   = "<!-- END ROUTES -->"
)

// routeMatrix renders the route table as the route and role matrix of docs/api.md.
func routeMatrix(routes []route) string {
	var b strings.Builder
	b.WriteString("| method | path | admin | clinician | scientist | auditor | audited | what |\n")
	b.WriteString("|---|---|:-:|:-:|:-:|:-:|:-:|---|\n")
	for _, rt := range routes {
		b.WriteString("| " + rt.Method + " | `" + rt.Pattern + "` |")
		for _, role := range galen.Roles {
			switch {
			case len(rt.Roles) == 0:
				b.WriteString(" public |")
			case slices.Contains(rt.Roles, role):
				b.WriteString(" yes |")
			default:
				b.WriteString(" - |")
			}
		}
		audited := "-"
		if rt.Audit {
			audited = "yes"
		}
		b.WriteString(" " + audited + " | " + strings.ReplaceAll(rt.Summary, "|", "\\|") + " |\n")
	}
	return b.String()
}

// TestREADMERoutes keeps the route and role table of docs/api.md equal to
// the route table; run with -update after adding a route.
func TestREADMERoutes(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	const path = "../docs/api.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	readme := string(b)
	i, j := strings.Index(readme, routesBegin), strings.Index(readme, routesEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/api.md lacks the route table markers %q ... %q", routesBegin, routesEnd)
	}
	want := routeMatrix(env.srv.routes)
	got := readme[i+len(routesBegin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i+len(routesBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the route table of docs/api.md is out of date; run: go test ./httpapi -run TestREADMERoutes -update\nwant:\n%s", want)
}
