package kg

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Neo4j export file names.
const (
	neoNodesHeader = "nodes_header.csv"
	neoNodes       = "nodes.csv"
	neoRelsHeader  = "relationships_header.csv"
	neoRels        = "relationships.csv"
	neoCypher      = "import.cypher"
)

// neoNodeHeader and neoRelHeader are the bulk importer's header rows.
var (
	neoNodeHeader = []string{"id:ID", "name", "synonyms:string[]", "sources:string[]", ":LABEL", "attrs"}
	neoRelHeader  = []string{":START_ID", ":END_ID", ":TYPE", "source", "severity", "weight:double", "description", "attrs"}
)

// neoType turns an edge type into a relationship type: interacts_with ->
// INTERACTS_WITH.
func neoType(t string) string { return strings.ToUpper(t) }

// ExportNeo4j writes the graph into dir in the layout of Neo4j's bulk
// importer (header files apart from the data, so that
//
//	neo4j-admin database import full \
//	  --nodes=nodes_header.csv,nodes.csv \
//	  --relationships=relationships_header.csv,relationships.csv neo4j
//
// loads it) and a Cypher script, import.cypher, that loads the same data
// files into a running database with LOAD CSV. Every node has the label
// Entity and its type; arrays use ';'. It returns the files written.
func (g *Graph) ExportNeo4j(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	write := func(name string, fill func(w *csv.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		w := csv.NewWriter(bw)
		if err := fill(w); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	steps := []struct {
		name string
		fill func(*csv.Writer) error
	}{
		{neoNodesHeader, func(w *csv.Writer) error { return w.Write(neoNodeHeader) }},
		{neoRelsHeader, func(w *csv.Writer) error { return w.Write(neoRelHeader) }},
		{neoNodes, g.writeNeoNodes},
		{neoRels, g.writeNeoRels},
	}
	var files []string
	for _, s := range steps {
		if err := write(s.name, s.fill); err != nil {
			return nil, err
		}
		files = append(files, filepath.Join(dir, s.name))
	}
	if err := os.WriteFile(filepath.Join(dir, neoCypher), []byte(g.cypherScript()), 0o644); err != nil {
		return nil, err
	}
	return append(files, filepath.Join(dir, neoCypher)), nil
}

// arrayField joins a string array for the importer, dropping the ';'
// delimiter from the items.
func arrayField(items []string) string {
	clean := make([]string, len(items))
	for i, s := range items {
		clean[i] = strings.ReplaceAll(s, ";", ",")
	}
	return strings.Join(clean, ";")
}

func attrsJSON(as []Attr) string {
	if len(as) == 0 {
		return ""
	}
	b, _ := json.Marshal(as)
	return string(b)
}

func (g *Graph) writeNeoNodes(w *csv.Writer) error {
	for _, n := range g.nodes {
		if err := w.Write([]string{n.ID, n.Name, arrayField(n.Synonyms), arrayField(n.Sources), "Entity;" + n.Type, attrsJSON(n.Attrs)}); err != nil {
			return err
		}
	}
	return nil
}

func (g *Graph) writeNeoRels(w *csv.Writer) error {
	for i := range g.edges {
		e := &g.edges[i]
		weight := ""
		if v, ok := AttrNum(e.attrs, "weight"); ok {
			weight = strconv.FormatFloat(v, 'g', -1, 64)
		}
		desc := ""
		if e.typ == EdgeInteracts {
			desc = g.describe(int32(i))
		}
		if err := w.Write([]string{g.nodes[e.from].ID, g.nodes[e.to].ID, neoType(e.typ), e.source,
			AttrText(e.attrs, "severity"), weight, desc, attrsJSON(e.attrs)}); err != nil {
			return err
		}
	}
	return nil
}

// cypherScript loads nodes.csv and relationships.csv into a running Neo4j
// 5 (files in its import folder), merging on the entity id, so that it can
// be run again after a new export.
func (g *Graph) cypherScript() string {
	types, rels := map[string]bool{}, map[string]bool{}
	for _, n := range g.nodes {
		types[n.Type] = true
	}
	for _, e := range g.edges {
		rels[neoType(e.typ)] = true
	}
	var b strings.Builder
	b.WriteString(`// Galen knowledge graph: incremental load into a running Neo4j 5.
// Copy nodes.csv and relationships.csv into the database's import folder,
// then run: cypher-shell -f import.cypher
// (For a new, empty database the bulk importer is faster:
//  neo4j-admin database import full --nodes=nodes_header.csv,nodes.csv
//    --relationships=relationships_header.csv,relationships.csv neo4j)
// Columns: see nodes_header.csv and relationships_header.csv.
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
`)
	for _, t := range slices.Sorted(mapKeys(types)) {
		fmt.Fprintf(&b, `
LOAD CSV FROM 'file:///nodes.csv' AS row
WITH row WHERE row[4] = 'Entity;%s'
CALL (row) {
  MERGE (n:Entity {id: row[0]})
  SET n:%s, n.name = row[1], n.synonyms = split(row[2], ';'), n.sources = split(row[3], ';'), n.attrs = row[5]
} IN TRANSACTIONS OF 10000 ROWS;
`, t, t)
	}
	for _, r := range slices.Sorted(mapKeys(rels)) {
		fmt.Fprintf(&b, `
LOAD CSV FROM 'file:///relationships.csv' AS row
WITH row WHERE row[2] = '%s'
CALL (row) {
  MATCH (a:Entity {id: row[0]}), (b:Entity {id: row[1]})
  MERGE (a)-[r:%s {source: row[3], attrs: coalesce(row[7], '')}]->(b)
  SET r.severity = row[4], r.weight = toFloat(row[5]), r.description = row[6]
} IN TRANSACTIONS OF 10000 ROWS;
`, r, r)
	}
	return b.String()
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
