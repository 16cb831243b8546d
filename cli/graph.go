package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/statecraft/statecraft/graph"
)

// GraphOptions are the flags of `statecraft graph`.
type GraphOptions struct {
	Definition string
	Format     string // mermaid (the default), dot or json
}

// Graph prints the workflow graph of a definition file on stdout in
// o.Format. An invalid definition's problems go to stderr, one per line,
// with exit code 2, as for Run.
func Graph(o GraphOptions, stdout, stderr io.Writer) error {
	render, err := graphRenderer(o.Format)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	sm, err := LoadDefinition(o.Definition, stderr)
	if err != nil {
		return err
	}
	out, err := render(graph.Build(sm))
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	_, err = io.WriteString(stdout, out)
	return err
}

// graphRenderer returns the renderer for a --format value.
func graphRenderer(format string) (func(*graph.Graph) (string, error), error) {
	switch format {
	case "mermaid", "":
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
