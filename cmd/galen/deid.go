package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/galenhealth/galen/deid"
)

const (
	deidUsage       = "FILE... [--format text|physionet|jsonl] [--mode tag|redact|surrogate] [--json] [--key-file FILE] [--keep-weekdays] [--no-model]"
	evalDeidUsage   = "--data FILE --gold FILE [--format physionet|jsonl] [--no-model] [--json]"
	trainDeidUsage  = "[--mtsamples FILE] [--seed N] [--epochs N] [--out FILE]"
	corpusDeidUsage = "--split train|valid|test --out DIR [--mtsamples FILE] [--seed N] [--notes N] [--nursing N]"
	mtsamplesPath   = "../shared/data/mtsamples/mtsamples.csv.gz"
)

func deidCommands() []command {
	return []command{
		{Name: "deid", Usage: deidUsage, Summary: "de-identify clinical notes (HIPAA Safe Harbor): tag, redact or replace PHI with surrogates", Run: runDeid},
		{Name: "eval deid", Usage: evalDeidUsage, Summary: "score de-identification against a gold file (per-type recall, precision, F1; span and token level)", Run: runEvalDeid},
		{Name: "train deid", Usage: trainDeidUsage, Summary: "train the de-identification tagger on the generated surrogate-PHI corpus and report test metrics", Run: runTrainDeid},
		{Name: "corpus deid", Usage: corpusDeidUsage, Summary: "write one split of the surrogate-PHI corpus as a PhysioNet deid file and a gold file", Run: runCorpusDeid},
	}
}

// parseInterleaved parses flags that may come after positional arguments
// ("galen deid a.txt b.txt --mode tag") and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args, 0, -1); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func readRecords(path, format string) ([]deid.Record, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var recs []deid.Record
	var err error
	switch format {
	case "text":
		b, rerr := io.ReadAll(io.LimitReader(r, 64<<20+1))
		if rerr != nil {
			return nil, rerr
		}
		if len(b) > 64<<20 {
			return nil, fmt.Errorf("longer than 64 MiB")
		}
		name := filepath.Base(path)
		recs = []deid.Record{{Patient: name, Record: name, Text: string(b)}}
	case "physionet":
		recs, err = deid.ReadPhysioNet(r)
	case "jsonl":
		recs, err = deid.ReadJSONL(r)
	default:
		return nil, usageError("--format %q: want text, physionet or jsonl", format)
	}
	return recs, err
}

func loadSurrogateKey(path string, stderr io.Writer) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	key := make([]byte, 32)
	rand.Read(key)
	fmt.Fprintln(stderr, "note: no --key-file; surrogates use a random key, consistent within this run only")
	return key, nil
}

func runDeid(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("deid", deidUsage)
	format := fs.String("format", "text", "input format: text (each file one note), physionet (START_OF_RECORD ... END_OF_RECORD) or jsonl ({\"patient\",\"record\",\"text\"} per line)")
	modeName := fs.String("mode", "tag", "tag ([**NAME**]), redact (*** of the same length) or surrogate (consistent fakes)")
	asJSON := fs.Bool("json", false, "print the spans found, one JSON object per record and line: {patient, record, spans: [{start, end, type, text}]}")
	keyFile := fs.String("key-file", "", "secret key of the surrogates (same key, same surrogates across runs)")
	keepWeekdays := fs.Bool("keep-weekdays", false, "surrogate mode: shift dates by whole weeks")
	noModel := fs.Bool("no-model", false, "rules and dictionaries only, without the trained tagger")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError("galen deid: no FILE (use - for standard input)")
	}
	mode, err := deid.ParseMode(*modeName)
	if err != nil {
		return usageError("%v", err)
	}
	det := &deid.Detector{}
	if !*noModel {
		if det, err = deid.NewDetector(); err != nil {
			return err
		}
	}
	var sur *deid.Surrogator
	if mode == deid.ModeSurrogate && !*asJSON {
		key, err := loadSurrogateKey(*keyFile, cli.Stderr)
		if err != nil {
			return err
		}
		sur = deid.NewSurrogator(key)
		sur.KeepWeekdays = *keepWeekdays
	}
	enc := json.NewEncoder(cli.Stdout)
	for _, path := range files {
		recs, err := readRecords(path, *format)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out := make([]deid.Record, 0, len(recs))
		for _, rec := range recs {
			if err := ctx.Err(); err != nil {
				return err
			}
			spans := det.Detect(rec.Text)
			if *asJSON {
				js := make([]jsonSpan, len(spans))
				for i, s := range spans {
					js[i] = jsonSpan{s.Start, s.End, string(s.Type), s.Text}
				}
				if err := enc.Encode(jsonRecord{rec.Patient, rec.Record, js}); err != nil {
					return err
				}
				continue
			}
			text, err := deid.Apply(rec.Text, spans, mode, sur, rec.Patient)
			if err != nil {
				return err
			}
			out = append(out, deid.Record{Patient: rec.Patient, Record: rec.Record, Text: text})
		}
		if *asJSON {
			continue
		}
		switch *format {
		case "physionet":
			err = deid.WritePhysioNet(cli.Stdout, out)
		case "jsonl":
			for _, r := range out {
				if err = enc.Encode(r); err != nil {
					break
				}
			}
		default:
			for _, r := range out {
				if _, err = io.WriteString(cli.Stdout, r.Text); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type jsonSpan struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Type  string `json:"type"`
	Text  string `json:"text"`
}

type jsonRecord struct {
	Patient string     `json:"patient"`
	Record  string     `json:"record"`
	Spans   []jsonSpan `json:"spans"`
}

func runEvalDeid(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("eval deid", evalDeidUsage)
	data := fs.String("data", "", "notes in PhysioNet deid format (or jsonl with --format jsonl)")
	goldPath := fs.String("gold", "", "gold file: lines <patient> <record> <start> <end> <type> <text>")
	format := fs.String("format", "physionet", "format of --data: physionet or jsonl")
	noModel := fs.Bool("no-model", false, "rules and dictionaries only")
	asJSON := fs.Bool("json", false, "print one JSON object: {records, gold_spans, span: {TYPE: {recall, precision, f1, gold}}, token: {...}}")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *data == "" || *goldPath == "" {
		return usageError("--data and --gold are required")
	}
	if *format != "physionet" && *format != "jsonl" {
		return usageError("--format %q: want physionet or jsonl", *format)
	}
	recs, err := readRecords(*data, *format)
	if err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	gb, err := os.ReadFile(*goldPath)
	if err != nil {
		return err
	}
	gold, err := deid.ReadGold(bytes.NewReader(gb))
	if err != nil {
		return fmt.Errorf("%s: %w", *goldPath, err)
	}
	idx := map[[2]string]int{}
	for i, r := range recs {
		idx[[2]string{r.Patient, r.Record}] = i
	}
	goldBy := make([][]deid.Span, len(recs))
	for _, g := range gold {
		i, ok := idx[[2]string{g.Patient, g.Record}]
		if !ok {
			return fmt.Errorf("%s: span of record %s %s, which %s lacks", *goldPath, g.Patient, g.Record, *data)
		}
		if n := len([]rune(recs[i].Text)); g.End > n {
			return fmt.Errorf("%s: span %d-%d of record %s %s ends past its %d characters", *goldPath, g.Start, g.End, g.Patient, g.Record, n)
		}
		goldBy[i] = append(goldBy[i], g.Span)
	}
	det := &deid.Detector{}
	if !*noModel {
		if det, err = deid.NewDetector(); err != nil {
			return err
		}
	}
	texts := make([]string, len(recs))
	pred := make([][]deid.Span, len(recs))
	for i, r := range recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		texts[i], pred[i] = r.Text, det.Detect(r.Text)
	}
	sc := deid.Evaluate(texts, goldBy, pred)
	if *asJSON {
		return json.NewEncoder(cli.Stdout).Encode(scoreJSON(sc))
	}
	fmt.Fprintf(cli.Stdout, "%d records, %d gold spans (recall: gold units found by a span of any type; precision: predicted units inside a gold span)\n", sc.Records, sc.GoldSpans)
	sc.WriteTable(cli.Stdout)
	return nil
}

type metricJSON struct {
	Recall    float64 `json:"recall"`
	Precision float64 `json:"precision"`
	F1        float64 `json:"f1"`
	Gold      int     `json:"gold"`
	Predicted int     `json:"predicted"`
}

func scoreJSON(sc deid.Score) map[string]any {
	conv := func(m map[string]deid.Counts) map[string]metricJSON {
		out := map[string]metricJSON{}
		for _, k := range sc.Keys() {
			c := m[k]
			out[k] = metricJSON{c.Recall(), c.Precision(), c.F1(), c.TP + c.FN, c.PTP + c.FP}
		}
		return out
	}
	return map[string]any{"records": sc.Records, "gold_spans": sc.GoldSpans, "span": conv(sc.Span), "token": conv(sc.Token)}
}

func runTrainDeid(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("train deid", trainDeidUsage)
	mt := fs.String("mtsamples", mtsamplesPath, "mtsamples CSV (gzipped)")
	seed := fs.Uint64("seed", deid.DefaultTrainConfig.Seed, "seed of the corpus and of training")
	epochs := fs.Int("epochs", deid.DefaultTrainConfig.Epochs, "training epochs")
	out := fs.String("out", "deid-tagger.safetensors", "where to write the trained tagger")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	notes, err := deid.ReadMTSamples(*mt)
	if err != nil {
		return err
	}
	c := deid.DefaultCorpus
	c.Seed = *seed
	train, valid, test := deid.Corpus(notes, c)
	fmt.Fprintf(cli.Stderr, "corpus (seed %d): %d train, %d valid, %d test notes\n", *seed, len(train), len(valid), len(test))
	tc := deid.DefaultTrainConfig
	tc.Seed, tc.Epochs = *seed, *epochs
	res, err := deid.TrainTagger(ctx, train, valid, deid.DefaultTaggerConfig, tc, cli.Stderr)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := res.Tagger.Save(&buf, map[string]string{"deid.seed": fmt.Sprint(*seed), "deid.epochs": fmt.Sprint(*epochs)}); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "wrote %s (%d bytes), threshold %.2f chosen on valid\n", *out, buf.Len(), res.Threshold)
	for _, row := range []struct {
		name string
		d    *deid.Detector
	}{{"rules and dictionaries", &deid.Detector{}}, {"tagger alone", &deid.Detector{Tagger: res.Tagger, NoRules: true}}, {"combined (shipped)", &deid.Detector{Tagger: res.Tagger}}} {
		fmt.Fprintf(cli.Stdout, "\ntest split, %s:\n", row.name)
		deid.EvaluateDocs(row.d, test).WriteTable(cli.Stdout)
	}
	return nil
}

func runCorpusDeid(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("corpus deid", corpusDeidUsage)
	mt := fs.String("mtsamples", mtsamplesPath, "mtsamples CSV (gzipped)")
	split := fs.String("split", "test", "train, valid or test")
	outDir := fs.String("out", "", "directory for <split>.txt (PhysioNet deid format) and <split>.gold")
	seed := fs.Uint64("seed", deid.DefaultCorpus.Seed, "seed")
	notesN := fs.Int("notes", deid.DefaultCorpus.TestNotes, "mtsamples notes")
	nursing := fs.Int("nursing", deid.DefaultCorpus.TestNurse, "nursing notes")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *outDir == "" {
		return usageError("--out is required")
	}
	sp := deid.Split(*split)
	if sp != deid.Train && sp != deid.Valid && sp != deid.Test {
		return usageError("--split %q: want train, valid or test", *split)
	}
	notes, err := deid.ReadMTSamples(*mt)
	if err != nil {
		return err
	}
	docs := deid.Generate(notes, deid.GenConfig{Seed: *seed, Split: sp, Notes: *notesN, Nursing: *nursing, Patients: max(1, (*notesN+*nursing)/3)})
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	var recs []deid.Record
	var gold []deid.GoldSpan
	for _, d := range docs {
		text := d.Text
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		recs = append(recs, deid.Record{Patient: d.Patient, Record: d.Record, Text: text})
		for _, s := range d.Spans {
			gold = append(gold, deid.GoldSpan{Patient: d.Patient, Record: d.Record, Span: s})
		}
	}
	var tb, gb bytes.Buffer
	if err := deid.WritePhysioNet(&tb, recs); err != nil {
		return err
	}
	if err := deid.WriteGold(&gb, gold); err != nil {
		return err
	}
	tp, gp := filepath.Join(*outDir, *split+".txt"), filepath.Join(*outDir, *split+".gold")
	if err := os.WriteFile(tp, tb.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(gp, gb.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "wrote %s (%d notes) and %s (%d spans)\n", tp, len(recs), gp, len(gold))
	return nil
}
