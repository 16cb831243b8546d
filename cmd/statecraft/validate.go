package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func validateCmd() *cobra.Command {
	var express bool
	cmd := &cobra.Command{
		Use:   "validate DEFINITION.json",
		Short: "Check a definition the way CreateStateMachine does",
		Long: `Check a definition. Prints nothing and exits 0 when it is valid; otherwise
prints one line per problem, "POINTER: message", and exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.Validate(args[0], express, os.Stdout)
		},
	}
	cmd.Flags().BoolVar(&express, "express", false, "validate for an EXPRESS state machine")
	return cmd
}
