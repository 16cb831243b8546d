// Command statecraft runs Amazon States Language state machines.
//
// This package declares the subcommands and their flags; each one's work
// is a function of package cli.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root().ExecuteContext(ctx)
	if err != nil {
		var ee *cli.ExitError
		if errors.As(err, &ee) {
			if ee.Err != nil {
				fmt.Fprintln(os.Stderr, "statecraft:", ee.Err)
			}
			os.Exit(ee.Code)
		}
		fmt.Fprintln(os.Stderr, "statecraft:", err)
		os.Exit(1)
	}
}

// commands are the subcommands: every one is here, and help lists them
// in alphabetical order.
func commands() []*cobra.Command {
	return []*cobra.Command{
		serverCmd(),
		deployCmd(),
		runCmd(),
		validateCmd(),
		graphCmd(),
		mediaServiceCmd(),
		consoleTokenCmd(),
		backupCmd(),
		restoreCmd(),
		clusterCmd(),
		costCmd(),
		migrateCmd(),
	}
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "statecraft",
		Short:         "A workflow engine for the Amazon States Language",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(commands()...)
	return cmd
}
