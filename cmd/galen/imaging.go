package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/imaging"
)

const (
	trainImagingUsage   = "--data FILE.npz [--seed N] [--epochs N] [--out FILE] [--name pneumonia-xray] [--data-dir DIR | --store URL]"
	evalImagingUsage    = "--data FILE.npz [--split train|val|test] [--model NAME[:VERSION|:ALIAS]] [--json] [--data-dir DIR | --store URL]"
	predictImagingUsage = "[--model NAME[:VERSION|:ALIAS]] [--saliency DIR] [--data-dir DIR | --store URL] FILE..."
)

// imagingCommands are the commands of the chest X-ray classifier.
func imagingCommands() []command {
	return []command{
		{Name: "train imaging", Usage: trainImagingUsage, Run: runTrainImaging,
			Summary: "train the chest X-ray pneumonia CNN on a MedMNIST .npz and register it with its model card"},
		{Name: "eval imaging", Usage: evalImagingUsage, Run: runEvalImaging,
			Summary: "evaluate the built-in or a registered chest X-ray model on one split of a MedMNIST .npz"},
		{Name: "predict imaging", Usage: predictImagingUsage, Run: runPredictImaging,
			Summary: "classify PNG, JPEG or DICOM chest X-rays (one JSON line per file)"},
	}
}

func runTrainImaging(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("train imaging", trainImagingUsage)
	data := fs.String("data", "", "MedMNIST .npz (train/val/test images and labels)")
	seed := fs.Uint64("seed", imaging.DefaultSeed, "seed of initialisation, shuffling and augmentation")
	epochs := fs.Int("epochs", 0, "epochs at most (0 = default)")
	out := fs.String("out", "", "also write the artifact to this file")
	name := fs.String("name", "pneumonia-xray", "model name in the registry")
	sf := cli.addStoreFlags(fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *data == "" {
		return usageError("--data is required")
	}
	d, err := imaging.ReadMedMNISTFile(*data)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	fmt.Fprintf(cli.Stderr, "read %d train, %d val, %d test images of %dx%d\n", d.Train.N, d.Val.N, d.Test.N, d.Train.H, d.Train.W)
	start := time.Now()
	m, rep, err := imaging.Train(ctx, d, imaging.TrainConfig{Seed: *seed, Epochs: *epochs, EMA: imaging.DefaultEMA, Progress: func(p imaging.Progress) {
		fmt.Fprintf(cli.Stderr, "epoch %d/%d  loss %.4f  val AUC %.4f  (%s)\n", p.Epoch, p.Epochs, p.Loss, p.ValAUC, time.Since(start).Round(time.Second))
	}})
	if err != nil {
		return fmt.Errorf("train imaging: %w", err)
	}
	artifact, err := m.Save()
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, artifact, 0o644); err != nil {
			return err
		}
	}
	store, err := sf.open(ctx, cli)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.FindModelByName(ctx, *name); galen.ErrorCode(err) == galen.ENOTFOUND {
		if err := store.CreateModel(ctx, &galen.Model{Name: *name, Task: "imaging", Description: imaging.Description}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	v := &galen.ModelVersion{ModelName: *name, Format: imaging.Format, Card: m.Card()}
	if err := store.CreateModelVersion(ctx, v, artifact); err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "registered %s:%d (%s, %d bytes)\n", *name, v.Version, imaging.Format, len(artifact))
	fmt.Fprintf(cli.Stdout, "seed %d, %d epochs run, epoch %d kept (best validation AUC), test-time augmentation %v, %.0f s\n",
		rep.Seed, rep.Epochs, rep.BestEpoch, rep.Settings.TTA, rep.Seconds)
	fmt.Fprintf(cli.Stdout, "threshold %.4f (fixed on val: max sensitivity + specificity)\n", rep.Settings.Threshold)
	for _, r := range []struct {
		label string
		m     imaging.Metrics
	}{{"val ", rep.Validation}, {"test", rep.Test}} {
		fmt.Fprintf(cli.Stdout, "%s  AUC %.4f  acc %.4f  sensitivity %.4f  specificity %.4f  (n=%d)\n", r.label, r.m.AUC, r.m.Acc, r.m.Sensitivity, r.m.Specificity, r.m.N)
	}
	return nil
}

func runEvalImaging(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("eval imaging", evalImagingUsage)
	data := fs.String("data", "", "MedMNIST .npz")
	split := fs.String("split", "test", "train, val or test")
	model := fs.String("model", "", "registered model NAME[:VERSION|:ALIAS] (default: the built-in pneumonia-xray)")
	asJSON := fs.Bool("json", false, "print one JSON object with keys auc, acc, sensitivity, specificity, n")
	sf := cli.addStoreFlags(fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *data == "" {
		return usageError("--data is required")
	}
	m, label, err := loadImagingModel(ctx, cli, sf, *model)
	if err != nil {
		return err
	}
	d, err := imaging.ReadMedMNISTFile(*data)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	set, err := d.Split(*split)
	if err != nil {
		return usageError("--split %q: want train, val or test", *split)
	}
	met, err := imaging.Evaluate(ctx, m, set)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(cli.Stdout).Encode(map[string]any{
			"auc": jsonNum(met.AUC), "acc": jsonNum(met.Acc), "sensitivity": jsonNum(met.Sensitivity),
			"specificity": jsonNum(met.Specificity), "n": met.N,
		})
	}
	fmt.Fprintf(cli.Stdout, "model %s, %s split, %d images, threshold %.4f (fixed on the model's validation split)\n", label, *split, met.N, m.Settings().Threshold)
	fmt.Fprintf(cli.Stdout, "AUC          %.4f\naccuracy     %.4f\nsensitivity  %.4f\nspecificity  %.4f\n", met.AUC, met.Acc, met.Sensitivity, met.Specificity)
	return nil
}

func runPredictImaging(ctx context.Context, cli *CLI, args []string) error {
	fs := cli.flagSet("predict imaging", predictImagingUsage)
	model := fs.String("model", "", "registered model NAME[:VERSION|:ALIAS] (default: the built-in pneumonia-xray)")
	salDir := fs.String("saliency", "", "write each file's Grad-CAM overlay PNG into this directory")
	sf := cli.addStoreFlags(fs)
	if err := parse(fs, args, 1, -1); err != nil {
		return err
	}
	m, _, err := loadImagingModel(ctx, cli, sf, *model)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(cli.Stdout)
	failed := 0
	for _, path := range fs.Args() {
		p, in, err := classifyFile(ctx, m, path, *salDir != "")
		if err != nil {
			fmt.Fprintf(cli.Stderr, "%s: %s\n", path, galen.ErrorMessage(err))
			failed++
			continue
		}
		if p.Saliency != nil {
			png, err := p.Saliency.Overlay(in)
			if err != nil {
				return err
			}
			base := path[strings.LastIndexByte(path, '/')+1:]
			if err := os.WriteFile(strings.TrimSuffix(*salDir, "/")+"/"+base+".saliency.png", png, 0o644); err != nil {
				return err
			}
			p.Saliency.Grid = nil // the overlay file has it; keep the line short
		}
		if err := enc.Encode(struct {
			File string `json:"file"`
			*imaging.Prediction
		}{path, p}); err != nil {
			return err
		}
	}
	if failed > 0 {
		return galen.Errorf(galen.EINVALID, "%d of %d files could not be classified", failed, len(fs.Args()))
	}
	return nil
}

// classifyFile decodes and classifies one image file; it returns the
// model-sized grey pixels too, for the overlay.
func classifyFile(ctx context.Context, m *imaging.Model, path string, saliency bool) (*imaging.Prediction, []uint8, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	in, err := imaging.Decode(b, 0)
	if err != nil {
		return nil, nil, err
	}
	px := in.Resize(m.Size())
	p, err := m.Predict(ctx, px, saliency)
	return p, px, err
}

// loadImagingModel returns the built-in model when ref is empty, else the
// registered one, resolved as the server resolves it.
func loadImagingModel(ctx context.Context, cli *CLI, sf *storeFlags, ref string) (*imaging.Model, string, error) {
	if ref == "" {
		m, err := imaging.Builtin()
		return m, "built-in pneumonia-xray", err
	}
	return loadRegistered(ctx, cli, sf, ref, imaging.Format, imaging.Load)
}
