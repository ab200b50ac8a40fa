package galen

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// KGAttr is one typed attribute of a knowledge-graph node or edge: a number
// with its unit, a text, or a date (YYYY-MM-DD in Text).
type KGAttr struct {
	Name string  `json:"name"`
	Kind string  `json:"kind"` // "number", "text" or "date"
	Num  float64 `json:"num,omitempty"`
	Unit string  `json:"unit,omitempty"`
	Text string  `json:"text,omitempty"`
}

// Kinds of KGAttr.
const (
	KGNumber = "number"
	KGText   = "text"
	KGDate   = "date"
)

// KGNode is what one source says about one entity of the medical knowledge
// graph. ID is the entity's id in its source vocabulary, with a prefix
// naming the vocabulary ("DrugBank:DB00945", "DOID:9352", "ATC:B01AC06",
// "ICD10CM:E119", "RxNorm:198405", "Patient:..."). Several sources may
// describe the same ID; the graph merges them.
type KGNode struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"` // "Drug", "Disease", "Symptom", ...
	Name     string   `json:"name"`
	Synonyms []string `json:"synonyms,omitempty"`
	Attrs    []KGAttr `json:"attrs,omitempty"`
	Source   string   `json:"source"` // the data set it came from
}

// KGEdge is one typed, directed relation between two node ids, with the
// data set it came from and attributes such as severity or weight.
type KGEdge struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Type   string   `json:"type"` // "treats", "interacts_with", "has_symptom", "is_a", ...
	Source string   `json:"source"`
	Attrs  []KGAttr `json:"attrs,omitempty"`
}

// KGSource records the last import of one source data set.
type KGSource struct {
	Name       string    `json:"name"`
	License    string    `json:"license"`
	ImportedAt time.Time `json:"imported_at"`
	RowsRead   int       `json:"rows_read"`
	Nodes      int       `json:"nodes"`
	Edges      int       `json:"edges"`
	Dropped    int       `json:"dropped"`
	// Report is the import report as JSON (dropped rows by reason, with
	// examples of their file and line).
	Report string `json:"report,omitempty"`
}

// KGService persists the knowledge graph, one source at a time.
type KGService interface {
	// ReplaceKGSource replaces, in one transaction, everything the source
	// src.Name holds with nodes and edges (whose Source must be src.Name),
	// records src, and moves the graph generation on. On error nothing
	// changes. EINVALID for an empty name or a node or edge of another
	// source.
	ReplaceKGSource(ctx context.Context, src *KGSource, nodes []KGNode, edges []KGEdge) error
	// FindKGSources returns the imported sources, by name.
	FindKGSources(ctx context.Context) ([]*KGSource, error)
	// KGGeneration returns a number that changes whenever a source is
	// replaced; 0 before the first import.
	KGGeneration(ctx context.Context) (int64, error)
	// ScanKG calls node for every stored node, then edge for every stored
	// edge, all from one snapshot, and returns the generation of that
	// snapshot. It stops at the first error a callback returns.
	ScanKG(ctx context.Context, node func(*KGNode) error, edge func(*KGEdge) error) (int64, error)
}

// ValidateKGSource checks a source before it is stored: a name of 1 to 64
// characters, nodes with distinct non-empty ids and types, every record of
// this source, every edge between two of its nodes, attributes of a known
// kind, and text without NUL bytes or invalid UTF-8. It returns EINVALID
// naming the first problem.
func ValidateKGSource(src *KGSource, nodes []KGNode, edges []KGEdge) error {
	if src == nil || src.Name == "" || len(src.Name) > 64 || !cleanText(src.Name) || !cleanText(src.License) || !cleanText(src.Report) {
		return Errorf(EINVALID, "knowledge-graph source: want a name of 1 to 64 characters and clean text")
	}
	ids := make(map[string]bool, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		switch {
		case n.ID == "" || n.Type == "":
			return Errorf(EINVALID, "source %s: node %d: empty id or type", src.Name, i)
		case n.Source != src.Name:
			return Errorf(EINVALID, "source %s: node %s belongs to source %q", src.Name, n.ID, n.Source)
		case ids[n.ID]:
			return Errorf(EINVALID, "source %s: node %s appears twice", src.Name, n.ID)
		case !cleanText(n.ID) || !cleanText(n.Type) || !cleanText(n.Name):
			return Errorf(EINVALID, "source %s: node %s: text with NUL or invalid UTF-8", src.Name, n.ID)
		}
		for _, s := range n.Synonyms {
			if !cleanText(s) {
				return Errorf(EINVALID, "source %s: node %s: synonym with NUL or invalid UTF-8", src.Name, n.ID)
			}
		}
		if err := validAttrs(n.Attrs); err != nil {
			return Errorf(EINVALID, "source %s: node %s: %s", src.Name, n.ID, err)
		}
		ids[n.ID] = true
	}
	for i := range edges {
		e := &edges[i]
		switch {
		case e.Source != src.Name:
			return Errorf(EINVALID, "source %s: edge %d belongs to source %q", src.Name, i, e.Source)
		case e.Type == "" || !cleanText(e.Type):
			return Errorf(EINVALID, "source %s: edge %d: empty or unclean type", src.Name, i)
		case !ids[e.From] || !ids[e.To]:
			return Errorf(EINVALID, "source %s: edge %s -%s-> %s ends at a node the source does not describe", src.Name, e.From, e.Type, e.To)
		}
		if err := validAttrs(e.Attrs); err != nil {
			return Errorf(EINVALID, "source %s: edge %d: %s", src.Name, i, err)
		}
	}
	return nil
}

func validAttrs(as []KGAttr) error {
	for _, a := range as {
		if a.Name == "" || (a.Kind != KGNumber && a.Kind != KGText && a.Kind != KGDate) {
			return fmt.Errorf("attribute %q of kind %q: want a name and kind number, text or date", a.Name, a.Kind)
		}
		if !cleanText(a.Name) || !cleanText(a.Text) || !cleanText(a.Unit) {
			return fmt.Errorf("attribute %q: text with NUL or invalid UTF-8", a.Name)
		}
		if math.IsNaN(a.Num) || math.IsInf(a.Num, 0) {
			return fmt.Errorf("attribute %q: not a finite number", a.Name)
		}
	}
	return nil
}

// cleanText reports whether s is valid UTF-8 without NUL bytes, as both
// stores can keep it.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
