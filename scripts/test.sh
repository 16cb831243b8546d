#!/usr/bin/env bash
# The whole test suite: the one command the README gives and CI runs.
# It installs what the tests need when it is missing, so a fresh Debian
# machine with Go needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v aws >/dev/null 2>&1 || need_apt+=(awscli)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: not formatted:"; echo "$unformatted"; exit 1
fi

echo "== go test"
go test -count=1 -timeout 20m ./...
