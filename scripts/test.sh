#!/usr/bin/env bash
# The whole test suite: the one command the README gives and CI runs.
# It installs what the tests need when it is missing, so a fresh Debian
# machine with Go needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# Debian's AWS CLI v2 at /usr/bin/aws, beside any pip CLI v1 first on PATH:
# the end-to-end tests drive both, and boto3.
[ -x /usr/bin/aws ] || need_apt+=(awscli)
python3 -c 'import boto3' >/dev/null 2>&1 || need_apt+=(python3-boto3)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)   # the JavaScript SDK v3 for the client tests
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v sipp >/dev/null 2>&1 || need_apt+=(sip-tester)
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need_apt+=(sox)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)   # examples/alarm-ivr/run-with-sipp.sh
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# sipp plays the phone's DTMF from a pcap, which needs raw sockets: root,
# or the capability on the binary.
if [ "$(id -u)" -ne 0 ] && command -v setcap >/dev/null 2>&1; then
  sudo setcap cap_net_raw+ep "$(command -v sipp)" || true
fi

# PostgreSQL, for store/postgres and the server's tests on it: the
# machines run it on 127.0.0.1:5432 (trust auth, database test). When it is
# not running it is started, with the command the machines document, since
# under CI those tests fail rather than skip without it.
if ! pg_isready -q -h 127.0.0.1; then
  echo "== starting PostgreSQL"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
fi

echo "== go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: not formatted:"; echo "$unformatted"; exit 1
fi

echo "== go test"
go test -count=1 -timeout 20m ./...
