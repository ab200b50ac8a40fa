package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/outcome"
)

const (
	trainOutcomeUsage = "--records PATH --outcomes FILE [--seed N] [--epochs N] [--members N] [--no-trees] [--checkpoint-dir DIR] [--data-desc TEXT --data-license TEXT] [--name icu-mortality] [--data-dir DIR | --store URL]"
	evalOutcomeUsage  = "--records PATH --outcomes FILE [--model NAME[:VERSION|:ALIAS]] [--split all|train|validation|test [--seed N]] [--json] [--data-dir DIR | --store URL]"
)

// outcomeCommands train and evaluate the ICU mortality model.
func outcomeCommands() []command {
	return []command{
		{
			Name:    "train outcome",
			Usage:   trainOutcomeUsage,
			Summary: "train the ICU mortality model (PhysioNet 2012 format) and register it with its model card",
			Run:     runTrainOutcome,
		},
		{
			Name:    "eval outcome",
			Usage:   evalOutcomeUsage,
			Summary: "evaluate the built-in or a registered ICU mortality model on records in PhysioNet 2012 format",
			Run:     runEvalOutcome,
		},
	}
}

func runTrainOutcome(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("train outcome", trainOutcomeUsage)
	records := fs.String("records", "", "directory or .tar.gz of per-stay record files")
	outcomes := fs.String("outcomes", "", "outcomes file (RecordID,...,In-hospital_death)")
	seed := fs.Uint64("seed", outcome.DefaultSeed, "seed of the split and of training")
	epochs := fs.Int("epochs", 0, "GRU-D epochs at most (0 = default 30, -1 = baseline only)")
	members := fs.Int("members", 0, "GRU-D ensemble members (0 = default 3)")
	noTrees := fs.Bool("no-trees", false, "leave the gradient-boosted trees out of the combined model")
	ckptDir := fs.String("checkpoint-dir", "", "save GRU-D training state here after every epoch and resume from it after a restart (default: no checkpoints)")
	dataDesc := fs.String("data-desc", outcome.SetATrainingData, "training data, for the model card")
	dataLicense := fs.String("data-license", outcome.SetALicense, "license of the training data, for the model card")
	name := fs.String("name", outcome.BuiltinName, "model name in the registry")
	sf := cli.addStoreFlags(fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *records == "" || *outcomes == "" {
		return usageError("--records and --outcomes are required")
	}
	d, err := outcome.LoadDataset(ctx, *records, *outcomes)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	fmt.Fprintf(cli.Stderr, "read %d stays (%d deaths, %d observations)\n", len(d.Stays), d.Positives(), d.Report.Observations)
	reportUnknown(cli.Stderr, d.Report)
	bar := &progressBar{w: cli.Stderr}
	m, rep, err := outcome.Train(ctx, d, outcome.TrainConfig{Seed: *seed, Epochs: *epochs, Members: *members, NoTrees: *noTrees,
		CheckpointDir: *ckptDir, TrainingData: *dataDesc, DataLicense: *dataLicense, Progress: bar.update})
	bar.done()
	if err != nil {
		return fmt.Errorf("train outcome: %w", err)
	}
	artifact, err := m.Marshal()
	if err != nil {
		return err
	}
	store, err := sf.open(ctx, cli)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.FindModelByName(ctx, *name); galen.ErrorCode(err) == galen.ENOTFOUND {
		if err := store.CreateModel(ctx, &galen.Model{Name: *name, Task: "outcome",
			Description: "in-hospital mortality from the first 48 h of an ICU stay (GRU-D + logistic regression, calibrated)"}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	v := &galen.ModelVersion{ModelName: *name, Format: outcome.Format, Card: m.Card()}
	if err := store.CreateModelVersion(ctx, v, artifact); err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "registered %s:%d (%s, %d bytes)\n", *name, v.Version, outcome.Format, len(artifact))
	fmt.Fprintf(cli.Stdout, "split: %s\n", rep.Split)
	fmt.Fprintf(cli.Stdout, "test metrics (threshold fixed on validation; [95%% bootstrap interval]):\n")
	printMetrics(cli.Stdout, "  baseline (logistic)", rep.Baseline)
	if rep.GRUD != nil {
		printMetrics(cli.Stdout, "  GRU-D ensemble     ", *rep.GRUD)
	}
	if rep.Trees != nil {
		printMetrics(cli.Stdout, "  boosted trees      ", *rep.Trees)
	}
	printMetrics(cli.Stdout, "  combined (shipped) ", rep.Combined)
	w := rep.Weights
	fmt.Fprintf(cli.Stdout, "combined = %.2f logistic + %.2f GRU-D + %.2f trees (calibrated log-odds, weights chosen on validation)\n", w.Logistic, w.GRUD, w.Trees)
	return nil
}

func printMetrics(w io.Writer, label string, m outcome.Metrics) {
	fmt.Fprintf(w, "%s AUROC %.4f [%.3f-%.3f]  AUPRC %.4f  Event-1 %.4f [%.3f-%.3f]  Brier %.4f  ECE %.4f  (n=%d, deaths=%d)\n",
		label, m.AUROC, m.AUROCCI[0], m.AUROCCI[1], m.AUPRC, m.Event1, m.Event1CI[0], m.Event1CI[1], m.Brier, m.ECE, m.N, m.Deaths)
}

func reportUnknown(w io.Writer, r outcome.ReadReport) {
	for _, k := range slices.Sorted(maps.Keys(r.Unknown)) {
		fmt.Fprintf(w, "warning: unknown parameter %q: %d lines ignored\n", k, r.Unknown[k])
	}
}

func runEvalOutcome(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("eval outcome", evalOutcomeUsage)
	records := fs.String("records", "", "directory or .tar.gz of per-stay record files")
	outcomes := fs.String("outcomes", "", "outcomes file (RecordID,...,In-hospital_death)")
	model := fs.String("model", "", "registered model NAME[:VERSION|:ALIAS]; NAME alone is its production alias, else its newest version, as the server resolves it (default: the built-in model)")
	asJSON := fs.Bool("json", false, "print one JSON object with keys auroc, auprc, event1, brier, ece, n")
	split := fs.String("split", "all", "evaluate all stays, or one part of the seeded stratified 70/15/15 split: train, validation or test")
	seed := fs.Uint64("seed", outcome.DefaultSeed, "seed of the split (with --split)")
	sf := cli.addStoreFlags(fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *records == "" || *outcomes == "" {
		return usageError("--records and --outcomes are required")
	}
	var m *outcome.Model
	label := "built-in icu-mortality"
	if *model == "" {
		var err error
		if m, err = outcome.Builtin(); err != nil {
			return err
		}
	} else {
		var err error
		if m, label, err = loadRegisteredOutcome(ctx, cli, sf, *model); err != nil {
			return err
		}
	}
	d, err := outcome.LoadDataset(ctx, *records, *outcomes)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	if !*asJSON {
		reportUnknown(cli.Stderr, d.Report)
	}
	if *split != "all" {
		tr, va, te := outcome.Split(d.Deaths, *seed)
		parts := map[string][]int{"train": tr, "validation": va, "test": te}
		ix, ok := parts[*split]
		if !ok {
			return usageError("--split %q: want all, train, validation or test", *split)
		}
		sub := &outcome.Dataset{Report: d.Report}
		for _, i := range ix {
			sub.Stays = append(sub.Stays, d.Stays[i])
			sub.Deaths = append(sub.Deaths, d.Deaths[i])
		}
		d = sub
		label += fmt.Sprintf(", %s split (seed %d)", *split, *seed)
	}
	met, err := m.Evaluate(ctx, d)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(cli.Stdout).Encode(map[string]any{
			"auroc": jsonNum(met.AUROC), "auprc": jsonNum(met.AUPRC), "event1": jsonNum(met.Event1),
			"brier": jsonNum(met.Brier), "ece": jsonNum(met.ECE), "n": met.N,
		})
	}
	fmt.Fprintf(cli.Stdout, "model %s, %d stays (%d deaths), Event-1 threshold %.4f (fixed on the model's validation split)\n",
		label, met.N, met.Deaths, met.Threshold)
	fmt.Fprintf(cli.Stdout, "AUROC   %.4f  (95%% bootstrap interval %.3f-%.3f)\nAUPRC   %.4f\nEvent-1 %.4f  (95%% bootstrap interval %.3f-%.3f)\nBrier   %.4f\nECE     %.4f\n",
		met.AUROC, met.AUROCCI[0], met.AUROCCI[1], met.AUPRC, met.Event1, met.Event1CI[0], met.Event1CI[1], met.Brier, met.ECE)
	return nil
}

// jsonNum maps NaN (e.g. AUROC without deaths) to null.
func jsonNum(x float64) any {
	if math.IsNaN(x) {
		return nil
	}
	return x
}

// loadRegisteredOutcome loads the outcome model ref names (see loadRegistered).
func loadRegisteredOutcome(ctx context.Context, cli *CLI, sf *storeFlags, ref string) (*outcome.Model, string, error) {
	return loadRegistered(ctx, cli, sf, ref, outcome.Format, outcome.Load)
}

// loadRegistered loads the registered model ref names, of the given format:
// NAME, resolved as the server resolves a request that names no version
// (the production alias if set, else the newest version it can load), or
// NAME:VERSION, where VERSION is a number or an alias. It returns the model
// and "NAME:VERSION".
func loadRegistered[M any](ctx context.Context, cli *CLI, sf *storeFlags, ref, format string, load func([]byte) (M, error)) (M, string, error) {
	var zero M
	name, version, _ := strings.Cut(ref, ":")
	store, err := sf.open(ctx, cli)
	if err != nil {
		return zero, "", err
	}
	defer store.Close()
	// The server's own resolution, without its cache, with the server's
	// loaders: a version it cannot load is not what it serves by default.
	v, err := inference.NewManager(store, loaders(), inference.Config{ResolveTTL: -1}).Resolve(ctx, name, version)
	if err != nil {
		return zero, "", err
	}
	if v.Format != format {
		return zero, "", galen.Errorf(galen.EINVALID, "model %s:%d has format %q, want %q", name, v.Version, v.Format, format)
	}
	b, err := store.LoadArtifact(ctx, name, v.Version)
	if err != nil {
		return zero, "", err
	}
	m, err := load(b)
	if err != nil {
		return zero, "", err
	}
	return m, name + ":" + strconv.Itoa(v.Version), nil
}

// progressBar draws training progress on one terminal line.
type progressBar struct {
	w    io.Writer
	drew bool
}

func (p *progressBar) update(pr outcome.Progress) {
	const width = 30
	frac := 0.0
	label := pr.Stage
	switch pr.Stage {
	case "baseline":
		frac = 0.03
	case "trees":
		frac = 0.08
	case "grud":
		if pr.Members > 0 && pr.Epochs > 0 {
			frac = 0.08 + 0.9*(float64(pr.Member-1)+float64(pr.Epoch)/float64(pr.Epochs))/float64(pr.Members)
		}
		label = fmt.Sprintf("GRU-D %d/%d epoch %d", pr.Member, pr.Members, pr.Epoch)
	case "calibration":
		frac = 1
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %-26s val AUROC %.3f", strings.Repeat("#", n), strings.Repeat(" ", width-n), 100*frac, label, pr.ValAUROC)
	p.drew = true
}

func (p *progressBar) done() {
	if p.drew {
		fmt.Fprintln(p.w)
	}
}
