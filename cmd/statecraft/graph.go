package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func graphCmd() *cobra.Command {
	var o cli.GraphOptions
	cmd := &cobra.Command{
		Use:   "graph DEFINITION.json",
		Short: "Print a state machine's workflow graph as Mermaid, Graphviz DOT or JSON",
		Long: `Print the workflow graph of a state machine: its states, the branches of its
Parallel and Map states, and every transition (Next, Choice rules, Default,
Catch), with start and end pseudo-nodes.

  --format mermaid  a Mermaid flowchart (the default)
  --format dot      a Graphviz digraph, e.g. | dot -Tsvg > machine.svg
  --format json     the graph model: {"nodes": [...], "groups": [...], "edges": [...]}

An invalid definition prints one "POINTER: message" line per problem on
stderr and exits 2, as run does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Definition = args[0]
			return cli.Graph(o, os.Stdout, os.Stderr)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "mermaid", "output format: mermaid, dot or json")
	return cmd
}
