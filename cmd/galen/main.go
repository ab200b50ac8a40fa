// Command galen is Galen's one binary: `galen serve` runs the server; the
// other subcommands are clients of a server (through package api) or local
// tools that work on the store directly.
package main

import (
	"context"
	"os"
)

func main() {
	cli := &CLI{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(run(context.Background(), cli, os.Args[1:]))
}
