package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/statecraft/statecraft/clusterview"
)

// ClusterOptions are the flags of `statecraft cluster`.
type ClusterOptions struct {
	Endpoint string
	Region   string // the region requests are signed for
	JSON     bool   // print the view as the server answered it
}

// DefaultClusterOptions are the server's own defaults.
func DefaultClusterOptions() ClusterOptions {
	d := DefaultServerOptions()
	return ClusterOptions{Endpoint: "http://" + d.Listen, Region: d.Region}
}

// Cluster prints the cluster's view of a running server: a table of its
// nodes, then the shards no live node holds. The request is signed as
// deploy's are, with the same credentials.
func Cluster(ctx context.Context, o ClusterOptions, getenv func(string) string, stdout io.Writer) error {
	creds, err := deployCredentials(getenv)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	// A status command must not hang on a server that accepts and never
	// answers.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, err := clusterDoor.get(ctx, o.Endpoint, o.Region, creds, nil, 16<<20)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	var v clusterview.View
	if err := json.Unmarshal(body, &v); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("reading the cluster from %s: the answer is not a cluster view: %v", o.Endpoint, err)}
	}
	if o.JSON {
		var out bytes.Buffer
		if err := json.Indent(&out, body, "", "  "); err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		_, err := stdout.Write(out.Bytes())
		return err
	}
	return printCluster(stdout, &v)
}

// printCluster writes the table: node, address, shards, live executions
// (from what the node publishes), last seen; then a line of what no live
// node holds.
func printCluster(w io.Writer, v *clusterview.View) error {
	if v.Mode == clusterview.ModeSingle {
		fmt.Fprintf(w, "%s\n\n", v.Note)
	} else {
		fmt.Fprintf(w, "%d shards; %d nodes seen within %s\n\n", v.ShardCount, len(v.Nodes), clusterSeconds(v.SeenWithinSeconds))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tADDRESS\tSHARDS\tLIVE\tLAST SEEN")
	for _, n := range v.Nodes {
		id := n.ID
		if n.This {
			id += " (this)"
		}
		shards := strconv.Itoa(n.ShardCount)
		if v.Mode == clusterview.ModeSingle {
			shards = "all"
		}
		seen := "-"
		if !n.SeenAt.IsZero() {
			seen = seenAgo(v.AsOf.Sub(n.SeenAt))
		}
		if !n.Live {
			seen += " (no recent heartbeat)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", id, orDash(n.Address), shards, infoField(n.Info, "live"), seen)
	}
	if len(v.Nodes) == 0 {
		fmt.Fprintln(tw, "(none)\t\t\t\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if v.Mode == clusterview.ModeSingle {
		return nil
	}
	// Grouped by the node that last held them: a node that stopped shows
	// as one entry, whatever the number of its shards.
	var lapsed []string
	byNode := map[string][]int{}
	for _, e := range v.ExpiredShards {
		if _, ok := byNode[e.Node]; !ok {
			lapsed = append(lapsed, e.Node)
		}
		byNode[e.Node] = append(byNode[e.Node], e.Shard)
	}
	slices.Sort(lapsed)
	var expired []string
	for _, n := range lapsed {
		expired = append(expired, shardRanges(byNode[n])+" (last held by "+n+")")
	}
	fmt.Fprintf(w, "\nfree shards: %s\nexpired leases: %s\n", shardRanges(v.FreeShards), orNone(strings.Join(expired, "; ")))
	return nil
}

// infoField is one number or string of a node's Info, "-" without it.
func infoField(info json.RawMessage, key string) string {
	var m map[string]any
	if json.Unmarshal(info, &m) != nil {
		return "-"
	}
	switch x := m[key].(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	}
	return "-"
}

// ago rounds a time since to what a person reads at a glance; the clocks
// of the database and of the answering server may differ a little.
func seenAgo(d time.Duration) string {
	if d < time.Second {
		return "just now"
	}
	return d.Round(100*time.Millisecond).String() + " ago"
}

func clusterSeconds(s float64) string {
	return (time.Duration(s * float64(time.Second))).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// shardRanges writes sorted shard numbers compactly: 0-3, 7, 9-10.
func shardRanges(ns []int) string {
	if len(ns) == 0 {
		return "none"
	}
	var out []string
	for i := 0; i < len(ns); i++ {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j > i {
			out = append(out, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		} else {
			out = append(out, strconv.Itoa(ns[i]))
		}
		i = j
	}
	return strings.Join(out, ", ")
}
