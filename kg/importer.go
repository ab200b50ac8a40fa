package kg

import (
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/galenhealth/galen"
)

// Source is one data set the graph imports: the folder it lives in under
// the data directory, its license, and the reader that turns its files
// into nodes and edges.
type Source struct {
	Name    string // the folder name under the data directory, e.g. "drugbank-ddi-86"
	License string
	read    func(ctx context.Context, dir string, b *builder) error
}

// Sources lists every data set the graph knows, in import order.
func Sources() []Source {
	return []Source{
		{"disease-ontology", "CC BY 3.0 (Disease Ontology); CC0 (slim)", readDiseaseOntology},
		{"pharmacotherapydb", "CC0 (PharmacotherapyDB); its DrugBank ids: DrugBank non-commercial terms", readPharmacotherapyDB},
		{"hsdn-symptom-disease", "CC0 mapping; Zhou et al. 2014 supplementary data, all rights reserved (research use)", readHSDN},
		{"drugbank-vocabulary", "CC0 1.0 (DrugBank open vocabulary)", readDrugBankVocabulary},
		{"drugbank-4.2-atc", "CC BY-NC 4.0 (DrugBank 4.2 derived; non-commercial)", readDrugBankATC},
		{"drugbank-ddi-86", "DrugBank-derived, CC BY-NC 4.0 terms (non-commercial, research use)", readDrugBankDDI},
		{"merged-pddi", "no license file; per-source terms (DrugBank non-commercial, ANSM, NDF-RT US gov, ONC, OSCAR GPL, Liverpool, CredibleMeds); research use", readMergedPDDI},
		{"who-atc-ddd", "CC BY-NC-SA 4.0; WHOCC ATC/DDD copyright (non-commercial)", readWHOATC},
		{"icd10cm-2019", "US government public domain (CMS/NCHS)", readICD10CM},
		{"mimic3-demo", "ODC Open Database License v1.0 (MIMIC-III demo)", readMIMICICD9},
		{"synthea-ca-59", "synthetic data generated with Synthea (Apache-2.0 generator)", readSynthea},
	}
}

// CrosswalkSource is the derived source that links vocabularies after the
// others are imported (Synthea SNOMED CT and RxNorm to DOID and DrugBank,
// ICD codes to DOID). It is rebuilt at the end of every import.
const CrosswalkSource = "crosswalk"

// Report says what an import of one source did.
type Report struct {
	Source   string `json:"source"`
	License  string `json:"license"`
	RowsRead int    `json:"rows_read"`
	Nodes    int    `json:"nodes"`
	Edges    int    `json:"edges"`
	Dropped  int    `json:"dropped"`
	// DroppedBy counts dropped rows by reason.
	DroppedBy map[string]int `json:"dropped_by,omitempty"`
	// Examples holds the first few dropped rows of each reason.
	Examples []Drop `json:"examples,omitempty"`
	// Repaired counts rows repaired rather than dropped, by what was done.
	Repaired map[string]int `json:"repaired,omitempty"`
	// Matches are the vocabulary match rates the source measured.
	Matches []MatchRate `json:"matches,omitempty"`
	Seconds float64     `json:"seconds"`
}

// Drop is one row left out, with the reason.
type Drop struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// MatchRate is how many codes of one vocabulary found a partner in another.
type MatchRate struct {
	From    string  `json:"from"`
	To      string  `json:"to"`
	Matched int     `json:"matched"`
	Total   int     `json:"total"`
	Rate    float64 `json:"rate"`
	How     string  `json:"how"`
}

func newMatch(from, to, how string, matched, total int) MatchRate {
	m := MatchRate{From: from, To: to, How: how, Matched: matched, Total: total}
	if total > 0 {
		m.Rate = float64(matched) / float64(total)
	}
	return m
}

// maxExamples bounds the examples kept per drop reason.
const maxExamples = 3

func (r *Report) drop(file string, line int, reason string) {
	r.Dropped++
	if r.DroppedBy == nil {
		r.DroppedBy = map[string]int{}
	}
	r.DroppedBy[reason]++
	if r.DroppedBy[reason] <= maxExamples {
		r.Examples = append(r.Examples, Drop{File: file, Line: line, Reason: reason})
	}
}

func (r *Report) repaired(what string) {
	if r.Repaired == nil {
		r.Repaired = map[string]int{}
	}
	r.Repaired[what]++
}

// builder collects the nodes and edges of one source. Nodes with the same
// id are merged (synonyms and attributes added); identical edges are kept
// once.
type builder struct {
	source string
	rep    *Report
	nodes  []Node
	byID   map[string]int
	edges  []Edge
	seen   map[string]int // edge key -> index+1, for edges added with edgeOnce
}

func newBuilder(source string, rep *Report) *builder {
	return &builder{source: source, rep: rep, byID: map[string]int{}, seen: map[string]int{}}
}

// node adds or extends the node id and returns it for more attributes.
func (b *builder) node(id, typ, name string, synonyms ...string) *Node {
	if i, ok := b.byID[id]; ok {
		n := &b.nodes[i]
		if n.Type == TypeConcept && typ != TypeConcept {
			n.Type = typ // a code first seen as an xref target, now known better
		}
		if n.Name == "" {
			n.Name = name
		} else if name != "" && !strings.EqualFold(name, n.Name) {
			synonyms = append(synonyms, name)
		}
		n.Synonyms = addSynonyms(n.Name, n.Synonyms, synonyms)
		return n
	}
	b.byID[id] = len(b.nodes)
	b.nodes = append(b.nodes, Node{ID: id, Type: typ, Name: name, Source: b.source, Synonyms: addSynonyms(name, nil, synonyms)})
	return &b.nodes[len(b.nodes)-1]
}

// has reports whether the source already has node id.
func (b *builder) has(id string) bool { _, ok := b.byID[id]; return ok }

// addSynonyms adds the synonyms not yet present (case-insensitively) and
// different from name.
func addSynonyms(name string, have, add []string) []string {
	for _, s := range add {
		s = strings.TrimSpace(s)
		if s == "" || strings.EqualFold(s, name) || slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, s) }) {
			continue
		}
		have = append(have, s)
	}
	return have
}

// edge adds an edge.
func (b *builder) edge(from, typ, to string, attrs ...Attr) {
	b.edges = append(b.edges, Edge{From: from, To: to, Type: typ, Source: b.source, Attrs: attrs})
}

// edgeOnce adds an edge unless one with the same ends and type was added
// with edgeOnce before.
func (b *builder) edgeOnce(from, typ, to string, attrs ...Attr) bool {
	return b.edgeKeyed(from+"\x00"+typ+"\x00"+to, from, typ, to, attrs...) == nil
}

// edgeKeyed adds an edge unless one with the same key was added before,
// in which case it returns that edge (for the caller to merge into).
func (b *builder) edgeKeyed(key, from, typ, to string, attrs ...Attr) *Edge {
	if i := b.seen[key]; i > 0 {
		return &b.edges[i-1]
	}
	b.edge(from, typ, to, attrs...)
	b.seen[key] = len(b.edges)
	return nil
}

// ImportOptions tune ImportDir.
type ImportOptions struct {
	// Only, when set, names the sources to import (folder names).
	Only []string
	// Progress, when set, is told about each step.
	Progress func(Progress)
	// Now returns the time recorded for each import (time.Now if nil).
	Now func() time.Time
}

// Progress is one step of an import.
type Progress struct {
	Source string // source being imported
	Step   int    // 1-based index of the source
	Steps  int    // sources in this import (the cross-walk included)
	Stage  string // "read", "store" or "done"
	Report *Report
}

// ImportDir imports every known source found under dir into store, each
// in its own transaction, then rebuilds the cross-walk. It returns one
// report per source imported. A source whose files are missing is skipped;
// a source that fails stops the import with an error, leaving that source
// as it was and the ones before imported.
func ImportDir(ctx context.Context, store galen.KGService, dir string, opts ImportOptions) ([]*Report, error) {
	var todo []Source
	for _, s := range Sources() {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, s.Name) {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, s.Name)); err == nil && fi.IsDir() {
			todo = append(todo, s)
		}
	}
	for _, o := range opts.Only {
		if !slices.ContainsFunc(Sources(), func(s Source) bool { return s.Name == o }) {
			return nil, galen.Errorf(galen.EINVALID, "unknown source %q", o)
		}
	}
	if len(todo) == 0 {
		return nil, galen.Errorf(galen.EINVALID, "no known source under %s (want folders such as drugbank-ddi-86, disease-ontology)", dir)
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(Progress) {}
	}
	steps := len(todo) + 1
	var reports []*Report
	for i, s := range todo {
		progress(Progress{Source: s.Name, Step: i + 1, Steps: steps, Stage: "read"})
		rep, nodes, edges, err := ReadSource(ctx, s, filepath.Join(dir, s.Name))
		if err != nil {
			return reports, fmt.Errorf("import %s: %w", s.Name, err)
		}
		progress(Progress{Source: s.Name, Step: i + 1, Steps: steps, Stage: "store", Report: rep})
		if err := store.ReplaceKGSource(ctx, sourceRecord(rep, opts.Now), nodes, edges); err != nil {
			return reports, fmt.Errorf("import %s: store: %w", s.Name, err)
		}
		progress(Progress{Source: s.Name, Step: i + 1, Steps: steps, Stage: "done", Report: rep})
		reports = append(reports, rep)
	}
	progress(Progress{Source: CrosswalkSource, Step: steps, Steps: steps, Stage: "read"})
	rep, err := ImportCrosswalk(ctx, store, opts.Now)
	if err != nil {
		return reports, err
	}
	progress(Progress{Source: CrosswalkSource, Step: steps, Steps: steps, Stage: "done", Report: rep})
	return append(reports, rep), nil
}

// ReadSource reads one source from its folder, without storing it.
func ReadSource(ctx context.Context, s Source, dir string) (*Report, []Node, []Edge, error) {
	start := time.Now()
	rep := &Report{Source: s.Name, License: s.License}
	b := newBuilder(s.Name, rep)
	if err := s.read(ctx, dir, b); err != nil {
		return nil, nil, nil, err
	}
	if err := checkEnds(b); err != nil {
		return nil, nil, nil, err
	}
	rep.Nodes, rep.Edges = len(b.nodes), len(b.edges)
	rep.Seconds = time.Since(start).Seconds()
	sort.Slice(rep.Examples, func(i, j int) bool {
		a, c := rep.Examples[i], rep.Examples[j]
		return a.File < c.File || a.File == c.File && a.Line < c.Line
	})
	return rep, b.nodes, b.edges, nil
}

// checkEnds makes sure every edge of a source ends at a node the source
// itself describes, so that each source stands alone in the store.
func checkEnds(b *builder) error {
	for _, e := range b.edges {
		if !b.has(e.From) || !b.has(e.To) {
			return fmt.Errorf("%s: edge %s -%s-> %s ends at a node the source does not describe (a bug)", b.source, e.From, e.Type, e.To)
		}
	}
	return nil
}

// sourceRecord turns a report into the store's record of the import.
func sourceRecord(rep *Report, now func() time.Time) *galen.KGSource {
	if now == nil {
		now = time.Now
	}
	js, _ := json.Marshal(rep)
	return &galen.KGSource{Name: rep.Source, License: rep.License, ImportedAt: now(), RowsRead: rep.RowsRead,
		Nodes: rep.Nodes, Edges: rep.Edges, Dropped: rep.Dropped, Report: string(js)}
}

// openData opens a data file, unpacking .gz and .bz2.
func openData(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, f}, nil
	case strings.HasSuffix(path, ".bz2"):
		return struct {
			io.Reader
			io.Closer
		}{bzip2.NewReader(f), f}, nil
	}
	return f, nil
}

// readTable opens dir/file and calls fn for every row, reporting malformed
// rows. need lists the columns fn uses.
func readTable(ctx context.Context, b *builder, dir, file string, comma rune, need []string, fn func(row) error) error {
	f, err := openData(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := newTable(f, file, comma, need...)
	if err != nil {
		return err
	}
	n := 0
	return forEachRow(t, b.rep, func(r row) error {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		return fn(r)
	})
}

// ReadDir reads every known source under dir and the cross-walk straight
// into a Graph, without a store (for tools and benchmarks).
func ReadDir(ctx context.Context, dir string) (*Graph, []*Report, error) {
	start := time.Now()
	gb := NewGraphBuilder()
	cw := newCrosswalk()
	var reports []*Report
	var allEdges [][]Edge
	for _, s := range Sources() {
		if fi, err := os.Stat(filepath.Join(dir, s.Name)); err != nil || !fi.IsDir() {
			continue
		}
		rep, nodes, edges, err := ReadSource(ctx, s, filepath.Join(dir, s.Name))
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", s.Name, err)
		}
		for i := range nodes {
			_ = cw.addNode(&nodes[i])
			_ = gb.AddNode(&nodes[i])
		}
		for i := range edges {
			_ = cw.addEdge(&edges[i])
		}
		gb.SetLicense(s.Name, s.License)
		allEdges = append(allEdges, edges)
		reports = append(reports, rep)
	}
	rep, nodes, edges, err := cw.finish(start)
	if err != nil {
		return nil, nil, err
	}
	for i := range nodes {
		_ = gb.AddNode(&nodes[i])
	}
	gb.SetLicense(CrosswalkSource, rep.License)
	for _, es := range append(allEdges, edges) {
		for i := range es {
			_ = gb.AddEdge(&es[i])
		}
	}
	return gb.Build(), append(reports, rep), nil
}
