package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/kg"
)

// The kg commands work on the knowledge graph in the store directly.
func kgCommands() []command {
	return []command{
		{Name: "kg import", Usage: "--data DIR [--only a,b] [--json] [store flags]", Summary: "import the knowledge-graph sources found in DIR into the store", Run: runKGImport},
		{Name: "kg search", Usage: "[--type T] [--limit N] [--json] [store flags] QUERY", Summary: "search the knowledge graph by name, synonym or code", Run: runKGSearch},
		{Name: "kg entity", Usage: "[store flags] ID", Summary: "show one knowledge-graph entity (JSON)", Run: runKGEntity},
		{Name: "kg neighbours", Usage: "[--edge-type T] [--direction out|in|both] [--offset N] [--limit N] [--json] [store flags] ID", Summary: "list the edges at an entity", Run: runKGNeighbours},
		{Name: "kg paths", Usage: "[--k N] [--max-hops N] [--metapath P] [--json] [store flags] FROM [TO]", Summary: "shortest, k best or metapath paths between entities", Run: runKGPaths},
		{Name: "kg interactions", Usage: "[--json] [store flags] DRUG...", Summary: "check a list of drugs for interactions", Run: runKGInteractions},
		{Name: "kg suggest", Usage: "[--limit N] [--json] [store flags] SYMPTOM...", Summary: "rank diseases for symptoms, with supporting paths", Run: runKGSuggest},
		{Name: "kg eval", Usage: "[--seed N] [--share F] [--json] [store flags]", Summary: "evaluate disease suggestions (recall@10 against a frequency baseline)", Run: runKGEval},
		{Name: "kg stats", Usage: "[--json] [store flags]", Summary: "node and edge counts by type and source, and the import reports", Run: runKGStats},
		{Name: "kg export", Usage: "--out DIR [store flags]", Summary: "write the graph as Neo4j bulk-import CSV files and a Cypher script", Run: runKGExport},
	}
}

// loadGraph opens the store the flags name and builds the graph from it.
func loadGraph(ctx context.Context, c *CLI, sf *storeFlags) (*kg.Graph, error) {
	store, err := sf.open(ctx, c)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return kg.NewService(store, 0, nil).Graph(ctx)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// importProgress shows an import's progress: a bar redrawn in place on a
// terminal, one plain line per step elsewhere.
type importProgress struct {
	w    io.Writer
	term bool
	drew bool
}

func (p *importProgress) update(pr kg.Progress) {
	const width = 30
	frac := (float64(pr.Step-1) + map[string]float64{"read": 0, "store": 0.6, "done": 1}[pr.Stage]) / float64(pr.Steps)
	if !p.term {
		if pr.Stage == "done" && pr.Report != nil {
			fmt.Fprintf(p.w, "[%d/%d] %s: %d rows read, %d nodes, %d edges, %d dropped (%.1fs)\n",
				pr.Step, pr.Steps, pr.Source, pr.Report.RowsRead, pr.Report.Nodes, pr.Report.Edges, pr.Report.Dropped, pr.Report.Seconds)
		}
		return
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %-8s %-24s", strings.Repeat("#", n), strings.Repeat(" ", width-n), 100*frac, pr.Stage, pr.Source)
	p.drew = true
}

func (p *importProgress) done() {
	if p.drew {
		fmt.Fprintln(p.w)
	}
}

func runKGImport(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg import", "--data DIR [--only a,b] [--json] [store flags]")
	data := fs.String("data", "", "folder holding the data sets (e.g. ../shared/data)")
	only := fs.String("only", "", "comma-separated sources to import (default: every known source found)")
	asJSON := fs.Bool("json", false, "print the import reports as JSON")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 0, 0); err != nil {
		return err
	}
	if *data == "" {
		return usageError("--data is required")
	}
	store, err := sf.open(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	var onlyList []string
	if *only != "" {
		onlyList = strings.Split(*only, ",")
	}
	bar := &importProgress{w: c.Stderr, term: isTerminal(c.Stderr)}
	start := time.Now()
	reps, err := kg.ImportDir(ctx, store, *data, kg.ImportOptions{Only: onlyList, Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.Stdout, reps)
	}
	printReports(c.Stdout, reps)
	fmt.Fprintf(c.Stdout, "imported %d sources in %.1fs\n", len(reps), time.Since(start).Seconds())
	return nil
}

// printReports writes the import reports as a table, then the dropped rows
// by reason and the match rates.
func printReports(w io.Writer, reps []*kg.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tROWS\tNODES\tEDGES\tDROPPED\tSECONDS")
	for _, r := range reps {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\n", r.Source, r.RowsRead, r.Nodes, r.Edges, r.Dropped, r.Seconds)
	}
	tw.Flush()
	for _, r := range reps {
		for reason, n := range r.DroppedBy {
			ex := ""
			for _, e := range r.Examples {
				if e.Reason == reason {
					ex = fmt.Sprintf(" (first: %s:%d)", e.File, e.Line)
					break
				}
			}
			fmt.Fprintf(w, "dropped %s: %d x %s%s\n", r.Source, n, reason, ex)
		}
		for what, n := range r.Repaired {
			fmt.Fprintf(w, "repaired %s: %d x %s\n", r.Source, n, what)
		}
		for _, m := range r.Matches {
			fmt.Fprintf(w, "match %s -> %s: %d of %d (%.1f%%) by %s\n", m.From, m.To, m.Matched, m.Total, 100*m.Rate, m.How)
		}
	}
}

func runKGSearch(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg search", "[--type T] [--limit N] [--json] [store flags] QUERY")
	typ := fs.String("type", "", "keep entities of this type (Drug, Disease, Symptom, ...)")
	limit := fs.Int("limit", 10, "results")
	asJSON := fs.Bool("json", false, "print JSON")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 1, -1); err != nil {
		return err
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	opt := kg.SearchOptions{Limit: *limit}
	if *typ != "" {
		opt.Types = []string{*typ}
	}
	hits := g.Search(strings.Join(fs.Args(), " "), opt)
	if *asJSON {
		return printJSON(c.Stdout, map[string]any{"hits": hits})
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tNAME\tMATCH\tMATCHED")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.ID, h.Type, h.Name, h.Match, h.Matched)
	}
	return tw.Flush()
}

func runKGEntity(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg entity", "[store flags] ID")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 1, 1); err != nil {
		return err
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	e, err := g.Entity(fs.Arg(0))
	if err != nil {
		return err
	}
	return printJSON(c.Stdout, e)
}

func runKGNeighbours(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg neighbours", "[--edge-type T] [--direction out|in|both] [--offset N] [--limit N] [--json] [store flags] ID")
	edgeType := fs.String("edge-type", "", "keep edges of this type (treats, interacts_with, has_symptom, ...)")
	dir := fs.String("direction", "both", "out, in or both")
	offset := fs.Int("offset", 0, "skip this many")
	limit := fs.Int("limit", 20, "page size")
	asJSON := fs.Bool("json", false, "print JSON")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 1, 1); err != nil {
		return err
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	opt := kg.NeighbourOptions{Direction: *dir, Offset: *offset, Limit: *limit}
	if *edgeType != "" {
		opt.EdgeTypes = []string{*edgeType}
	}
	page, err := g.Neighbours(fs.Arg(0), opt)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.Stdout, page)
	}
	for _, n := range page.Neighbours {
		fmt.Fprintln(c.Stdout, n.Text)
	}
	fmt.Fprintf(c.Stdout, "(%d-%d of %d)\n", page.Offset+min(1, len(page.Neighbours)), page.Offset+len(page.Neighbours), page.Total)
	return nil
}

func runKGPaths(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg paths", "[--k N] [--max-hops N] [--metapath P] [--json] [store flags] FROM [TO]")
	k := fs.Int("k", 1, "paths wanted")
	maxHops := fs.Int("max-hops", 4, "longest path")
	metapath := fs.String("metapath", "", `follow this pattern instead, e.g. "Drug -treats-> Disease -has_symptom-> Symptom"`)
	asJSON := fs.Bool("json", false, "print JSON")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 1, 2); err != nil {
		return err
	}
	if *metapath == "" && fs.NArg() != 2 {
		return usageError("want FROM and TO (or --metapath and FROM)")
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	var paths []kg.Path
	if *metapath != "" {
		m, err := kg.ParseMetapath(*metapath)
		if err != nil {
			return err
		}
		paths, err = g.MetapathPaths(fs.Arg(0), m, fs.Arg(1), *k)
		if err != nil {
			return err
		}
	} else if paths, err = g.Paths(fs.Arg(0), fs.Arg(1), kg.PathOptions{K: *k, MaxHops: *maxHops}); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.Stdout, map[string]any{"paths": paths})
	}
	if len(paths) == 0 {
		fmt.Fprintln(c.Stdout, "no path within the hop limit")
	}
	for _, p := range paths {
		fmt.Fprintln(c.Stdout, p.Text)
	}
	return nil
}

func runKGInteractions(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg interactions", "[--json] [store flags] DRUG...")
	asJSON := fs.Bool("json", false, `print JSON {"interactions":[...],"resolved":[...],"unresolved":[...]}`)
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 1, -1); err != nil {
		return err
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	rep := g.Interactions(fs.Args())
	if *asJSON {
		return printJSON(c.Stdout, rep)
	}
	for _, r := range rep.Resolved {
		fmt.Fprintf(c.Stdout, "%s = %s (%s, %s)\n", r.Input, r.Name, r.ID, r.Match)
	}
	for _, u := range rep.Unresolved {
		fmt.Fprintf(c.Stdout, "%s: no drug of that name, synonym or code\n", u)
	}
	if len(rep.Interactions) == 0 {
		fmt.Fprintln(c.Stdout, "no interaction found between these drugs")
	}
	for _, it := range rep.Interactions {
		fmt.Fprintf(c.Stdout, "\n%s + %s: %s\n", it.Drugs[0].Name, it.Drugs[1].Name, it.Severity)
		for _, f := range it.Findings {
			sev := f.Severity
			if sev == "" {
				sev = "-"
			}
			fmt.Fprintf(c.Stdout, "  [%s] %s (%s)\n", sev, f.Description, f.Dataset)
		}
	}
	return nil
}

func runKGSuggest(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg suggest", "[--limit N] [--json] [store flags] SYMPTOM...")
	limit := fs.Int("limit", 10, "diseases")
	asJSON := fs.Bool("json", false, "print JSON")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 1, -1); err != nil {
		return err
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	rep := g.SuggestDiseases(fs.Args(), *limit)
	if *asJSON {
		return printJSON(c.Stdout, rep)
	}
	for _, u := range rep.Unresolved {
		fmt.Fprintf(c.Stdout, "%s: no symptom of that name\n", u)
	}
	for i, s := range rep.Suggestions {
		fmt.Fprintf(c.Stdout, "%2d. %s (%s) score %.3f\n", i+1, s.Disease.Name, s.Disease.ID, s.Score)
		for _, p := range s.Paths {
			fmt.Fprintf(c.Stdout, "      %s\n", p.Text)
		}
	}
	return nil
}

func runKGEval(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg eval", "[--seed N] [--share F] [--json] [store flags]")
	seed := fs.Uint64("seed", 42, "seed of the hidden edges")
	share := fs.Float64("share", 0.2, "share of each disease's symptom edges hidden (half validation, half test)")
	asJSON := fs.Bool("json", false, "print JSON")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 0, 0); err != nil {
		return err
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	ev, err := g.EvaluateSuggestions(*seed, *share)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.Stdout, ev)
	}
	fmt.Fprintf(c.Stdout, "seed %d, %.0f%% of symptom edges hidden, %d test queries (%d diseases, %d edges)\n", ev.Seed, 100*ev.HiddenShare, ev.TestQueries, ev.Diseases, ev.Edges)
	fmt.Fprintf(c.Stdout, "spread chosen on validation: hidden %g, mixed %g\n", ev.Spread["hidden"], ev.Spread["mixed"])
	for _, k := range []string{"graph, mixed", "direct edges only, mixed", "graph, hidden", "direct edges only, hidden", "frequency baseline"} {
		fmt.Fprintf(c.Stdout, "recall@10 %-26s %.3f\n", k, ev.Recall[k])
	}
	return nil
}

func runKGStats(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg stats", "[--json] [store flags]")
	asJSON := fs.Bool("json", false, "print JSON")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 0, 0); err != nil {
		return err
	}
	store, err := sf.open(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	srcs, err := store.FindKGSources(ctx)
	if err != nil {
		return err
	}
	g, err := kg.NewService(store, 0, nil).Graph(ctx)
	if err != nil {
		return err
	}
	var reps []*kg.Report
	for _, s := range srcs {
		var r kg.Report
		if err := json.Unmarshal([]byte(s.Report), &r); err != nil {
			return galen.WrapError(galen.EINTERNAL, "stored import report of "+s.Name, err)
		}
		reps = append(reps, &r)
	}
	if *asJSON {
		return printJSON(c.Stdout, map[string]any{"counts": g.Counts(), "sources": reps})
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tTYPE\tSOURCE\tCOUNT")
	for _, n := range g.Counts() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", n.Kind, n.Type, n.Source, n.N)
	}
	tw.Flush()
	fmt.Fprintln(c.Stdout)
	printReports(c.Stdout, reps)
	return nil
}

func runKGExport(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("kg export", "--out DIR [store flags]")
	out := fs.String("out", "", "folder for the CSV files and import.cypher")
	sf := c.addStoreFlags(fs)
	if err := parseMixed(fs, args, 0, 0); err != nil {
		return err
	}
	if *out == "" {
		return usageError("--out is required")
	}
	g, err := loadGraph(ctx, c, sf)
	if err != nil {
		return err
	}
	files, err := g.ExportNeo4j(*out)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(c.Stdout, f)
	}
	return nil
}

// parseMixed is parse for commands whose flags may follow the positional
// arguments, as in `galen kg interactions warfarin aspirin --json`.
func parseMixed(fs *flag.FlagSet, args []string, minArgs, maxArgs int) error {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil || hasValue || i+1 >= len(args) {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		flags = append(flags, args[i+1])
		i++
	}
	return parse(fs, append(append(flags, "--"), pos...), minArgs, maxArgs)
}
