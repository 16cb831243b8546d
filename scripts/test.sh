#!/usr/bin/env bash
# The whole test suite: the one command the README gives and CI runs.
# It installs what the tests need when it is missing, so a fresh machine
# with Go needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: not formatted:"; echo "$unformatted"; exit 1
fi

echo "== go test"
go test -count=1 ./...
