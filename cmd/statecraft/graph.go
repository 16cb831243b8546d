package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/graph"
)

func init() { extraCommands = append(extraCommands, graphCmd) }

func graphCmd() *cobra.Command {
	var format string
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
			render, err := graphRenderer(format)
			if err != nil {
				return &cli.ExitError{Code: 1, Err: err}
			}
			sm, err := cli.LoadDefinition(args[0], os.Stderr)
			if err != nil {
				return err
			}
			out, err := render(graph.Build(sm))
			if err != nil {
				return &cli.ExitError{Code: 1, Err: err}
			}
			_, err = io.WriteString(os.Stdout, out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "output format: mermaid, dot or json")
	return cmd
}

// graphRenderer returns the renderer for a --format value.
func graphRenderer(format string) (func(*graph.Graph) (string, error), error) {
	switch format {
	case "mermaid":
		return func(g *graph.Graph) (string, error) { return graph.Mermaid(g), nil }, nil
	case "dot":
		return func(g *graph.Graph) (string, error) { return graph.Dot(g), nil }, nil
	case "json":
		return func(g *graph.Graph) (string, error) {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(g); err != nil {
				return "", err
			}
			return b.String(), nil
		}, nil
	}
	return nil, fmt.Errorf("unknown --format %q: want mermaid, dot or json", format)
}
