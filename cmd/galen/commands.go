package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/postgres"
	"github.com/galenhealth/galen/sqlite"
)

// command is one subcommand of galen. Each file of this package returns its
// commands from a function that allCommands lists.
type command struct {
	Name    string // one or two words, e.g. "serve" or "train outcome"
	Usage   string // arguments after the name, e.g. "[flags] NAME"
	Summary string // one line for `galen help`
	Run     func(ctx context.Context, cli *CLI, args []string) error
}

// allCommands is the explicit list of galen's subcommands, one set per
// file; a new capability adds its <capability>Commands() here.
func allCommands() []command {
	return slices.Concat(
		serveCommands(),
		keysCommands(),
		modelsCommands(),
		outcomeCommands(),
		deidCommands(),
		imagingCommands(),
		textCommands(),
		kgCommands(),
	)
}

// commands indexes allCommands by name.
var commands = commandIndex(allCommands())

// commandIndex maps each command's name to it; it panics on a duplicate
// name, which is a programming error found by any test run.
func commandIndex(cs []command) map[string]command {
	m := map[string]command{}
	for _, c := range cs {
		if _, dup := m[c.Name]; dup {
			panic("galen: command registered twice: " + c.Name)
		}
		m[c.Name] = c
	}
	return m
}

// CLI is what every subcommand gets: where to write, and the environment.
type CLI struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment; os.Getenv in main, a map in tests.
	Getenv func(string) string

	// listening, when set, is told the address serve listens on (for tests).
	listening func(addr string)
}

// errUsage marks errors in how a command was called (exit status 2).
var errUsage = errors.New("usage")

// usageError returns an error that prints as msg and exits with status 2.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errUsage)
}

// env returns the environment variable key, or def when it is empty.
func (c *CLI) env(key, def string) string {
	if c.Getenv != nil {
		if v := c.Getenv(key); v != "" {
			return v
		}
	}
	return def
}

// OpenStore opens the store named by storeURL: PostgreSQL for a
// postgres:// or postgresql:// URL, otherwise SQLite in dataDir/galen.db
// (creating dataDir). storeURL must be empty or a PostgreSQL URL.
func (c *CLI) OpenStore(ctx context.Context, dataDir, storeURL string) (galen.Store, error) {
	switch {
	case strings.HasPrefix(storeURL, "postgres://"), strings.HasPrefix(storeURL, "postgresql://"):
		return postgres.Open(ctx, storeURL)
	case storeURL != "":
		return nil, galen.Errorf(galen.EINVALID, "store %q: want empty (SQLite in the data directory) or a postgres:// URL", redactURL(storeURL))
	}
	if dataDir == "" {
		return nil, galen.Errorf(galen.EINVALID, "data directory is empty")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(dataDir, "galen.db"))
}

// storeFlags are the standard --data-dir and --store flags.
type storeFlags struct {
	DataDir string
	Store   string
}

// addStoreFlags adds --data-dir (GALEN_DATA_DIR) and --store (GALEN_STORE) to fs.
func (c *CLI) addStoreFlags(fs *flag.FlagSet) *storeFlags {
	sf := &storeFlags{}
	fs.StringVar(&sf.DataDir, "data-dir", c.env("GALEN_DATA_DIR", "./galen-data"), "data directory for the SQLite store and files (GALEN_DATA_DIR)")
	fs.StringVar(&sf.Store, "store", c.env("GALEN_STORE", ""), "empty for SQLite in the data directory, or a postgres:// URL (GALEN_STORE)")
	return sf
}

// open opens the store the flags name.
func (sf *storeFlags) open(ctx context.Context, c *CLI) (galen.Store, error) {
	return c.OpenStore(ctx, sf.DataDir, sf.Store)
}

// clientFlags are the standard --server and --key flags of client commands.
type clientFlags struct {
	Server string
	Key    string
}

// addClientFlags adds --server (GALEN_SERVER) and --key (GALEN_KEY) to fs.
func (c *CLI) addClientFlags(fs *flag.FlagSet) *clientFlags {
	cf := &clientFlags{}
	fs.StringVar(&cf.Server, "server", c.env("GALEN_SERVER", "http://127.0.0.1:8080"), "Galen server URL (GALEN_SERVER)")
	fs.StringVar(&cf.Key, "key", c.env("GALEN_KEY", ""), "API key (GALEN_KEY)")
	return cf
}

// client returns an api.Client for the flags.
func (cf *clientFlags) client() (*api.Client, error) {
	if cf.Key == "" {
		return nil, usageError("an API key is needed: --key or GALEN_KEY")
	}
	return api.NewClient(cf.Server, cf.Key)
}

// flagSet returns a FlagSet for cmd that writes its help to the CLI's stderr.
func (c *CLI) flagSet(cmd string, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.Stderr, "usage: galen %s %s\n", cmd, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs and checks the number of positional arguments.
func parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if n := fs.NArg(); n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		fs.Usage()
		return usageError("galen %s: wrong number of arguments", fs.Name())
	}
	return nil
}

// run runs the command named by args and returns the exit status.
func run(ctx context.Context, cli *CLI, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(cli.Stdout)
		return 0
	}
	cmd, ok := command{}, false
	n := 1
	if len(args) >= 2 {
		cmd, ok = commands[args[0]+" "+args[1]]
		n = 2
	}
	if !ok {
		cmd, ok = commands[args[0]]
		n = 1
	}
	if !ok {
		fmt.Fprintf(cli.Stderr, "galen: unknown command %q; run `galen help`\n", strings.Join(args[:min(len(args), 2)], " "))
		return 2
	}
	err := cmd.Run(ctx, cli, args[n:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(cli.Stderr, "galen %s: %v\n", cmd.Name, strings.TrimSuffix(err.Error(), ": usage"))
		return 2
	default:
		fmt.Fprintf(cli.Stderr, "galen %s: %v\n", cmd.Name, err)
		return 1
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Galen: medical AI models as a service.\n\nusage: galen <command> [flags] [args]\n\ncommands:")
	var names []string
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c := commands[name]
		fmt.Fprintf(w, "  %-16s %s\n", name, c.Summary)
	}
	fmt.Fprintln(w, "\nRun `galen <command> -h` for the flags of a command.")
}
