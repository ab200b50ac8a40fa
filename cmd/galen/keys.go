package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/galenhealth/galen"
)

// keysCommands work on the store directly, so that an administrator
// can manage keys without a running server or an existing key.
func keysCommands() []command {
	return []command{
		{Name: "keys create", Usage: "--role R [--name N] [store flags]", Summary: "create an API key (shown once)", Run: runKeysCreate},
		{Name: "keys list", Usage: "[store flags]", Summary: "list API keys", Run: runKeysList},
		{Name: "keys revoke", Usage: "[store flags] ID", Summary: "revoke an API key", Run: runKeysRevoke},
	}
}

func runKeysCreate(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("keys create", "--role R [--name N] [store flags]")
	sf := c.addStoreFlags(fs)
	role := fs.String("role", "", "admin, clinician, scientist or auditor")
	name := fs.String("name", "", "who or what the key is for")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if !galen.Role(*role).Valid() {
		return usageError("--role %q: want one of %v", *role, galen.Roles)
	}
	store, err := sf.open(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	k, secret, err := galen.GenerateKey(galen.Role(*role), *name)
	if err != nil {
		return err
	}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "created key %s (role %s); the secret below is shown only once:\n", k.ID, k.Role)
	fmt.Fprintln(c.Stdout, secret)
	return nil
}

func runKeysList(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("keys list", "[store flags]")
	sf := c.addStoreFlags(fs)
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	store, err := sf.open(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	ks, err := store.FindAPIKeys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tPREFIX\tNAME\tCREATED\tREVOKED")
	for _, k := range ks {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Prefix, k.Name, k.CreatedAt.UTC().Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func runKeysRevoke(ctx context.Context, c *CLI, args []string) error {
	fs := c.flagSet("keys revoke", "[store flags] ID")
	sf := c.addStoreFlags(fs)
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	store, err := sf.open(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.RevokeAPIKey(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "revoked key %s\n", fs.Arg(0))
	return nil
}
