package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/text"
)

const (
	evalTextUsage  = "--data FILE.csv --text-col C --label-col L [--model-type linear|transformer|best] [--seed N] [--min-class N] [--drop-labels L1,L2] [--export-split FILE] [--json]"
	trainTextUsage = "[--data FILE.csv] [--text-col C --label-col L] [--model-type linear|transformer|best] [--seed N] [--no-pretrain-baseline] [--export-split FILE] [--report FILE] [--out FILE | --name clinical-specialty [--data-dir DIR | --store URL]]"
)

// textCommands are the clinical-text commands.
func textCommands() []command {
	return []command{
		{Name: "eval text", Usage: evalTextUsage, Run: runEvalText,
			Summary: "train a text classifier on a stratified 80 % of any labelled CSV (settings chosen on part of it) and report the held-out 20 %"},
		{Name: "train text", Usage: trainTextUsage, Run: runTrainText,
			Summary: "train the clinical-specialty text classifier (mtsamples by default) and write or register it"},
	}
}

// textFlags are the data and training flags both text commands share.
type textFlags struct {
	data, textCol, labelCol, modelType, exportSplit, drop string
	seed                                                  uint64
	minClass, pretrainEpochs, epochs, maxLen              int
	noBaseline, splitOnly                                 bool
}

func addTextFlags(fs interface {
	StringVar(*string, string, string, string)
	Uint64Var(*uint64, string, uint64, string)
	IntVar(*int, string, int, string)
	BoolVar(*bool, string, bool, string)
}, tf *textFlags, mtsamples bool) {
	data, textCol, labelCol, drop, minClass := "", "", "", "", 5
	if mtsamples {
		data, textCol, labelCol = "../shared/data/mtsamples/mtsamples.csv.gz", "transcription", "medical_specialty"
		drop, minClass = strings.Join(text.MTSamplesNoteTypes, ","), text.MTSamplesMinPerClass
	}
	fs.StringVar(&tf.data, "data", data, "labelled CSV file with a header row (.csv or .csv.gz)")
	fs.StringVar(&tf.textCol, "text-col", textCol, "column holding the text")
	fs.StringVar(&tf.labelCol, "label-col", labelCol, "column holding the label")
	fs.StringVar(&tf.modelType, "model-type", text.ModelLinear, "linear (TF-IDF + logistic regression, minutes), transformer (BERT-style encoder pretrained on the training text, much longer) or best (both; the better on validation)")
	fs.Uint64Var(&tf.seed, "seed", text.DefaultSeed, "seed of the split and of training")
	fs.IntVar(&tf.minClass, "min-class", minClass, "drop labels with fewer distinct texts than this")
	fs.StringVar(&tf.drop, "drop-labels", drop, "comma-separated labels removed from each text's label set before duplicates are resolved (e.g. note types)")
	fs.StringVar(&tf.exportSplit, "export-split", "", "write the split (line,split,label,text) to this CSV for peers such as bench/text-sklearn.py")
	def := text.DefaultEncoderTrainConfig()
	fs.IntVar(&tf.pretrainEpochs, "pretrain-epochs", def.PretrainEpochs, "transformer: masked-language-model epochs over the training text (0: none)")
	fs.IntVar(&tf.epochs, "epochs", def.Epochs, "transformer: fine-tuning epochs at most (the best on validation is kept)")
	fs.IntVar(&tf.maxLen, "max-len", def.Encoder.MaxLen, "transformer: WordPiece pieces per text (longer texts are cut)")
	fs.BoolVar(&tf.splitOnly, "split-only", false, "with --export-split: write the split and stop, training nothing")
	fs.BoolVar(&tf.noBaseline, "no-pretrain-baseline", false, "also fine-tune the encoder without pretraining, to measure what pretraining adds")
}

// trainText reads, cleans and trains as the flags say.
func trainText(ctx context.Context, cli *CLI, tf *textFlags, quiet bool) ([]text.Example, *text.Classifier, *text.Report, error) {
	if tf.data == "" || tf.textCol == "" || tf.labelCol == "" {
		return nil, nil, nil, usageError("--data, --text-col and --label-col are required")
	}
	switch tf.modelType {
	case text.ModelLinear, text.ModelTransformer, text.ModelBest:
	default:
		return nil, nil, nil, usageError("--model-type %q: want linear, transformer or best", tf.modelType)
	}
	raw, rr, err := text.ReadCSVFile(tf.data, tf.textCol, tf.labelCol)
	if err != nil {
		return nil, nil, nil, err
	}
	var drop []string
	for _, d := range strings.Split(tf.drop, ",") {
		if d = strings.TrimSpace(d); d != "" {
			drop = append(drop, d)
		}
	}
	ex, res := text.Resolve(raw, drop, tf.minClass)
	log := io.Discard
	if !quiet {
		log = cli.Stderr
	}
	fmt.Fprintf(log, "read %d rows (%d without text, %d without label); %d distinct texts, %d repeats with the same label merged, %d with only dropped labels, %d ambiguous (several labels) dropped; %d small classes dropped; %d texts in %d classes\n",
		rr.Rows, rr.EmptyText, rr.EmptyLabel, res.DistinctTexts, res.Duplicates, res.DroppedLabel, res.Ambiguous, len(res.SmallClasses), res.Kept, len(res.ClassSizes))
	if tf.splitOnly {
		if tf.exportSplit == "" {
			return nil, nil, nil, usageError("--split-only needs --export-split FILE")
		}
		labels := make([]string, len(ex))
		for i, e := range ex {
			labels[i] = e.Label
		}
		return ex, nil, nil, writeSplitFile(tf.exportSplit, ex, text.MakeSplit(labels, text.DefaultTestFrac, text.DefaultValFrac, tf.seed))
	}
	bar := &lineProgress{w: log}
	enc := text.DefaultEncoderTrainConfig()
	enc.PretrainEpochs, enc.Epochs, enc.Encoder.MaxLen = tf.pretrainEpochs, tf.epochs, tf.maxLen
	if enc.Epochs < 1 || enc.PretrainEpochs < 0 || enc.Encoder.MaxLen < 2 {
		return nil, nil, nil, usageError("--epochs must be at least 1, --pretrain-epochs at least 0, --max-len at least 2")
	}
	c, rep, err := text.Run(ctx, ex, text.TrainConfig{Seed: tf.seed, ModelType: tf.modelType, NoPretrainBaseline: tf.noBaseline, Encoder: enc, Log: log, Progress: bar.update})
	if err != nil {
		return nil, nil, nil, err
	}
	if tf.exportSplit != "" {
		if err := writeSplitFile(tf.exportSplit, ex, rep.Split); err != nil {
			return nil, nil, nil, err
		}
	}
	return ex, c, rep, nil
}

func writeSplitFile(path string, ex []text.Example, s text.Split) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := text.WriteSplit(f, ex, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// lineProgress prints a line at each tenth of a training phase.
type lineProgress struct {
	w    io.Writer
	last int
}

func (p *lineProgress) update(phase string, step, total int) {
	tenth := 10 * step / max(total, 1)
	if step == 1 {
		p.last = 0
	}
	if tenth > p.last {
		p.last = tenth
		fmt.Fprintf(p.w, "%s %d%% (%d/%d steps)\n", phase, 10*tenth, step, total)
	}
}

func chosen(rep *text.Report) text.ModelReport {
	for _, m := range rep.Models {
		if m.ModelType == rep.Chosen {
			return m
		}
	}
	return rep.Models[0]
}

func runEvalText(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("eval text", evalTextUsage)
	tf := &textFlags{}
	addTextFlags(fs, tf, false)
	asJSON := fs.Bool("json", false, "print one JSON object with keys macro_f1, accuracy, n_train, n_test, labels, model_type (and ece, per_class, confusion, models)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	_, _, rep, err := trainText(ctx, cli, tf, *asJSON)
	if err != nil || rep == nil {
		return err
	}
	m := chosen(rep)
	if *asJSON {
		return json.NewEncoder(cli.Stdout).Encode(map[string]any{
			"macro_f1": m.Test.MacroF1, "accuracy": m.Test.Accuracy, "n_train": rep.NTrain, "n_test": rep.NTest,
			"labels": rep.Labels, "model_type": rep.Chosen, "ece": m.Test.ECE, "per_class": m.Test.PerClass,
			"confusion": m.Test.Confusion, "uncertain_threshold": m.Threshold, "seed": rep.Seed, "models": rep.Models,
		})
	}
	printTextReport(cli.Stdout, rep)
	return nil
}

func printTextReport(w io.Writer, rep *text.Report) {
	fmt.Fprintf(w, "%d labels; trained on %d (of which %d validation), tested on %d held-out texts (seed %d)\n", len(rep.Labels), rep.NTrain, rep.NVal, rep.NTest, rep.Seed)
	for _, m := range rep.Models {
		mark := " "
		if m.ModelType == rep.Chosen && m.Setting == chosen(rep).Setting {
			mark = "*"
		}
		fmt.Fprintf(w, "%s %-11s macro-F1 %.3f  accuracy %.3f  ECE %.3f  uncertain %.0f%% (threshold %.2f)  [validation macro-F1 %.3f; %s; %s]\n",
			mark, m.ModelType, m.Test.MacroF1, m.Test.Accuracy, m.Test.ECE, 100*m.Test.Uncertain, m.Threshold, m.ValMacroF1, m.Setting, m.TrainTime)
	}
	m := chosen(rep)
	fmt.Fprintf(w, "per class (%s):\n", m.ModelType)
	for _, c := range m.Test.PerClass {
		fmt.Fprintf(w, "  %-30s F1 %.3f  precision %.3f  recall %.3f  n=%d\n", c.Label, c.F1, c.Precision, c.Recall, c.Support)
	}
	fmt.Fprintf(w, "confusion (rows true, columns predicted, label order above):\n")
	for _, row := range m.Test.Confusion {
		fmt.Fprintf(w, "  %v\n", row)
	}
}

func runTrainText(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("train text", trainTextUsage)
	tf := &textFlags{}
	addTextFlags(fs, tf, true)
	out := fs.String("out", "", "write the artifact to this file instead of registering it")
	report := fs.String("report", "", "write the training report (JSON) to this file")
	name := fs.String("name", "clinical-specialty", "model name in the registry")
	sf := cli.addStoreFlags(fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	_, c, rep, err := trainText(ctx, cli, tf, false)
	if err != nil || rep == nil {
		return err
	}
	m := chosen(rep)
	c.Meta = map[string]string{"data": text.MTSamplesData, "license": text.MTSamplesLicense, "seed": fmt.Sprint(rep.Seed), "setting": m.Setting,
		"split":         fmt.Sprintf("stratified: %d train, %d validation, %d test", rep.NTrain-rep.NVal, rep.NVal, rep.NTest),
		"test_macro_f1": fmt.Sprintf("%.4f", m.Test.MacroF1), "test_accuracy": fmt.Sprintf("%.4f", m.Test.Accuracy), "test_ece": fmt.Sprintf("%.4f", m.Test.ECE)}
	artifact, err := c.Marshal()
	if err != nil {
		return err
	}
	printTextReport(cli.Stdout, rep)
	if *report != "" {
		b, err := json.MarshalIndent(rep, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*report, b, 0o644); err != nil {
			return err
		}
	}
	if *out != "" {
		if err := os.WriteFile(*out, artifact, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(cli.Stdout, "wrote %s (%s, %s, %d bytes)\n", *out, text.Format, c.ModelType, len(artifact))
		return nil
	}
	store, err := sf.open(ctx, cli)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.FindModelByName(ctx, *name); galen.ErrorCode(err) == galen.ENOTFOUND {
		if err := store.CreateModel(ctx, &galen.Model{Name: *name, Task: "text", Description: "medical specialty of a clinical note"}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	v := &galen.ModelVersion{ModelName: *name, Format: text.Format, Card: c.Card()}
	if err := store.CreateModelVersion(ctx, v, artifact); err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "registered %s:%d (%s, %d bytes)\n", *name, v.Version, text.Format, len(artifact))
	return nil
}
