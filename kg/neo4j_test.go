package kg

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readCSV reads a whole CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// TestExportNeo4j parses the header files the way neo4j-admin does (a
// column's type after ':'), and checks that every relationship starts and
// ends at an exported node, and that every row is as wide as its header.
func TestExportNeo4j(t *testing.T) {
	fixture, _, err := ReadDir(context.Background(), filepath.Join("testdata", "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		g    *Graph
	}{{"mini graph", miniGraph(t)}, {"fixture sources", fixture}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := tc.g.ExportNeo4j(dir); err != nil {
				t.Fatal(err)
			}
			nh := readCSV(t, filepath.Join(dir, "nodes_header.csv"))
			rh := readCSV(t, filepath.Join(dir, "relationships_header.csv"))
			if len(nh) != 1 || len(rh) != 1 {
				t.Fatalf("header files hold %d and %d rows, want 1", len(nh), len(rh))
			}
			col := func(header []string, typ string) int {
				for i, h := range header {
					if _, ty, ok := strings.Cut(h, ":"); ok && strings.HasPrefix(ty, typ) {
						return i
					}
				}
				t.Fatalf("header %q has no %s column", header, typ)
				return -1
			}
			idCol, labelCol := col(nh[0], "ID"), col(nh[0], "LABEL")
			startCol, endCol, typeCol := col(rh[0], "START_ID"), col(rh[0], "END_ID"), col(rh[0], "TYPE")
			ids := map[string]bool{}
			nodes := readCSV(t, filepath.Join(dir, "nodes.csv"))
			for i, row := range nodes {
				if len(row) != len(nh[0]) {
					t.Fatalf("nodes.csv row %d has %d fields, header %d", i+1, len(row), len(nh[0]))
				}
				if ids[row[idCol]] {
					t.Errorf("node %s exported twice", row[idCol])
				}
				ids[row[idCol]] = true
				if !strings.HasPrefix(row[labelCol], "Entity;") {
					t.Errorf("node %s labels %q", row[idCol], row[labelCol])
				}
			}
			rels := readCSV(t, filepath.Join(dir, "relationships.csv"))
			n, e := tc.g.Len()
			if len(nodes) != n || len(rels) != e {
				t.Errorf("exported %d nodes, %d relationships; graph has %d and %d", len(nodes), len(rels), n, e)
			}
			cypher, err := os.ReadFile(filepath.Join(dir, "import.cypher"))
			if err != nil {
				t.Fatal(err)
			}
			for i, row := range rels {
				if len(row) != len(rh[0]) {
					t.Fatalf("relationships.csv row %d has %d fields, header %d", i+1, len(row), len(rh[0]))
				}
				if !ids[row[startCol]] || !ids[row[endCol]] {
					t.Errorf("relationship %d %s -%s-> %s ends at a node not exported", i+1, row[startCol], row[typeCol], row[endCol])
				}
				if !strings.Contains(string(cypher), "row[2] = '"+row[typeCol]+"'") {
					t.Errorf("import.cypher does not load %s", row[typeCol])
				}
			}
		})
	}
	// The mini graph's interaction exports its severity.
	dir := t.TempDir()
	if _, err := miniGraph(t).ExportNeo4j(dir); err != nil {
		t.Fatal(err)
	}
	rels := readCSV(t, filepath.Join(dir, "relationships.csv"))
	if !slices.ContainsFunc(rels, func(r []string) bool {
		return r[0] == "DrugBank:DB1" && r[1] == "DrugBank:DB2" && r[2] == "INTERACTS_WITH" && r[4] == "major"
	}) {
		t.Errorf("no DB1 -INTERACTS_WITH-> DB2 row with severity major in %q", rels)
	}
}
