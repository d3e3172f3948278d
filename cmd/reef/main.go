// Command reef is an embedded engine for understanding datasets through
// neural-network embeddings: `reef serve` runs the REST server; the other
// commands talk to it or maintain a data directory.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "reef:", err)
		if errors.Is(err, errInterrupted) || ctx.Err() != nil {
			os.Exit(130) // the shell's code for a stop by SIGINT
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "reef",
		Short:         "Understand datasets through neural-network embeddings",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command with --dataset and --space checks both names first
		// (listing what exists, suggesting the nearest) and fills in a
		// missing --space with the dataset's only (image) space.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return resolveNames(cmd) },
	}
	root.AddCommand(serveCmd(), importCmd(), ingestCmd(), datasetsCmd(), infoCmd(), exportCmd(), deleteCmd(),
		searchCmd(), similarCmd(), outliersCmd(), compareCmd(), clustersCmd(), duplicatesCmd(),
		evaluateCmd(), labelErrorsCmd(), regionsCmd(), issueCmd(),
		modelCmd(), benchCmd(), tuneCmd(), checkCmd(), restoreCmd(), versionCmd())
	return root
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print reef's version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "reef", version) },
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
