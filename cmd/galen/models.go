package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

// modelsCommands are clients of a running server.
func modelsCommands() []command {
	return []command{
		{Name: "models list", Usage: "[client flags]", Summary: "list models on a server", Run: runModelsList},
		{Name: "models show", Usage: "[client flags] NAME", Summary: "show a model, its versions, cards and aliases (JSON)", Run: runModelsShow},
		{Name: "models upload", Usage: "[client flags] --format F --artifact FILE --card CARD.json [--task T] NAME", Summary: "upload a new model version", Run: runModelsUpload},
		{Name: "models alias", Usage: "[client flags] NAME ALIAS VERSION | --rollback NAME ALIAS", Summary: "move or roll back a model alias", Run: runModelsAlias},
	}
}

func runModelsList(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("models list", "[client flags]")
	cf := c.addClientFlags(fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	l, err := cl.ListModels(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTASK\tUPDATED\tDESCRIPTION")
	for _, m := range l.Models {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Task, m.UpdatedAt.UTC().Format(time.RFC3339), m.Description)
	}
	return tw.Flush()
}

func runModelsShow(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("models show", "[client flags] NAME")
	cf := c.addClientFlags(fs)
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	d, err := cl.Model(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(c.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func runModelsUpload(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("models upload", "[client flags] --format F --artifact FILE --card CARD.json [--task T] NAME")
	cf := c.addClientFlags(fs)
	format := fs.String("format", "", "artifact format, e.g. linear/v1")
	artifact := fs.String("artifact", "", "artifact file")
	cardFile := fs.String("card", "", "model card as JSON (task, training_data, data_license, intended_use, limitations, ...)")
	task := fs.String("task", "", "create the model with this task if it does not exist")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	if *format == "" || *artifact == "" || *cardFile == "" {
		return usageError("--format, --artifact and --card are required")
	}
	art, err := os.ReadFile(*artifact)
	if err != nil {
		return err
	}
	cb, err := os.ReadFile(*cardFile)
	if err != nil {
		return err
	}
	var card galen.ModelCard
	dec := json.NewDecoder(bytes.NewReader(cb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&card); err != nil {
		return fmt.Errorf("model card %s: %w", *cardFile, err)
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	if *task != "" {
		_, err := cl.CreateModel(ctx, &api.CreateModelRequest{Name: name, Task: *task})
		if err != nil && galen.ErrorCode(err) != galen.ECONFLICT {
			return err
		}
	}
	v, err := cl.UploadVersion(ctx, name, &api.UploadVersionRequest{Format: *format, Card: card, Artifact: art})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "%s version %d (%s, %d bytes, sha256 %s)\n", v.ModelName, v.Version, v.Format, v.Size, v.SHA256)
	return nil
}

func runModelsAlias(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("models alias", "[client flags] NAME ALIAS VERSION | --rollback NAME ALIAS")
	cf := c.addClientFlags(fs)
	rollback := fs.Bool("rollback", false, "move the alias back to its previous version")
	if err := parse(fs, args, 2, 3); err != nil {
		return err
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	var a *galen.Alias
	switch {
	case *rollback && fs.NArg() == 2:
		a, err = cl.RollbackAlias(ctx, fs.Arg(0), fs.Arg(1))
	case !*rollback && fs.NArg() == 3:
		v, perr := strconv.Atoi(fs.Arg(2))
		if perr != nil || v < 1 {
			return usageError("version %q: want a number >= 1", fs.Arg(2))
		}
		a, err = cl.SetAlias(ctx, fs.Arg(0), fs.Arg(1), v)
	default:
		return usageError("want NAME ALIAS VERSION, or --rollback NAME ALIAS")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "%s %s -> version %d\n", a.ModelName, a.Name, a.Version)
	return nil
}
