package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/galenhealth/galen/internal/testenv"
)

// TestREADMEConfig checks that the README's configuration table lists every
// flag of `galen serve` and of the client commands, with its variable.
func TestREADMEConfig(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		testenv.Missing(t, "no README: %v", err)
	}
	readme := string(b)
	i, j := strings.Index(readme, "<!-- BEGIN CONFIG"), strings.Index(readme, "<!-- END CONFIG -->")
	if i < 0 || j < i {
		t.Fatal("README lacks the configuration table markers")
	}
	table := readme[i:j]
	c := &CLI{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.addStoreFlags(fs)
	var cfg Config
	if err := c.configFlags(&cfg, fs); err != nil {
		t.Fatal(err)
	}
	c.addClientFlags(fs)
	envRE := regexp.MustCompile(`GALEN_[A-Z_]+`)
	fs.VisitAll(func(f *flag.Flag) {
		row := ""
		for _, line := range strings.Split(table, "\n") {
			if strings.HasPrefix(line, "| `--"+f.Name+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("flag --%s is not in the README configuration table", f.Name)
			return
		}
		if v := envRE.FindString(f.Usage); v != "" && !strings.Contains(row, "`"+v+"`") {
			t.Errorf("README row of --%s does not name %s", f.Name, v)
		}
	})
	for _, v := range []string{"GALEN_ADMIN_KEY", "GALEN_TEST_POSTGRES"} {
		if !strings.Contains(table, "`"+v+"`") {
			t.Errorf("%s is not in the README configuration table", v)
		}
	}
}
