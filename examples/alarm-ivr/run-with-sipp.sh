#!/usr/bin/env bash
# Runs the whole alarm IVR example on this machine, with sipp as the alarm
# owner's phone:
#
#   1. starts `statecraft server --project examples/alarm-ivr/statecraft.yaml`
#      (the media service runs inside it),
#   2. starts sipp as the phone: it answers, hears the prompt and keys the PIN,
#   3. starts the alarm-notification workflow through the workflow API:
#      POST /v1/workflows/alarm-notification/executions,
#   4. waits for the execution to end and prints its status and output,
#   5. stops everything.
#
# Exit status 0 when the execution SUCCEEDED and sipp saw its call through.
# Needs: go (or STATECRAFT_BIN), sipp (sip-tester), espeak-ng, sox, curl.
# Settings (environment): PIN (default 1234; the workflow wants 1234, so
# PIN=4321 shows the FAILED path), API_PORT, SIP_PORT, PHONE_PORT,
# PHONE_MEDIA_PORT,
# STATECRAFT_BIN (a built binary; default: go build), KEEP=1 keeps the
# temporary directory (logs, database).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PIN="${PIN:-1234}"
API_PORT="${API_PORT:-18083}"
SIP_PORT="${SIP_PORT:-15070}"
PHONE_PORT="${PHONE_PORT:-15080}"
PHONE_MEDIA_PORT="${PHONE_MEDIA_PORT:-16000}"
export ACME_API_KEY="${ACME_API_KEY:-acme-key-$RANDOM$RANDOM-example}"
export STATECRAFT_ADMIN_KEY="${STATECRAFT_ADMIN_KEY:-admin-key-$RANDOM$RANDOM-example}"
export IVR_SIP_BIND="127.0.0.1:$SIP_PORT"

for tool in sipp espeak-ng sox curl; do
  command -v "$tool" >/dev/null || { echo "run-with-sipp: $tool is missing: apt-get install -y sip-tester espeak-ng sox curl" >&2; exit 2; }
done

work="$(mktemp -d)"
server_pid="" sipp_pid=""
cleanup() {
  [ -n "$sipp_pid" ] && kill "$sipp_pid" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "run-with-sipp: logs and data kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

bin="${STATECRAFT_BIN:-}"
if [ -z "$bin" ]; then
  echo "run-with-sipp: building statecraft" >&2
  (cd "$root" && go build -o "$work/statecraft" ./cmd/statecraft)
  bin="$work/statecraft"
fi

api="http://127.0.0.1:$API_PORT"
echo "run-with-sipp: statecraft server on $api, media service SIP on $IVR_SIP_BIND" >&2
"$bin" server --project "$here/statecraft.yaml" --listen "127.0.0.1:$API_PORT" \
  --data "$work/data" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!

auth=(-H "Authorization: Bearer $ACME_API_KEY")
for i in $(seq 1 100); do
  if curl -fsS "${auth[@]}" "$api/v1/workflows" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run-with-sipp: the server did not start:" >&2; cat "$work/server.log" >&2; exit 1
  fi
  [ "$i" = 100 ] && { echo "run-with-sipp: the server did not answer" >&2; exit 1; }
  sleep 0.2
done

# -default_behaviors all,-abortunexp: a retransmission that arrives late on
# a busy machine (an INVITE after sipp's 200 OK, a second ACK) must not make
# sipp abort the call.
echo "run-with-sipp: sipp answers calls on 127.0.0.1:$PHONE_PORT and keys $PIN#" >&2
(cd "$work" && exec sipp -sf "$here/sipp/phone-uas.xml" -i 127.0.0.1 -p "$PHONE_PORT" -mp "$PHONE_MEDIA_PORT" \
  -key pin "$PIN" -m 1 -timeout 90s -timeout_error -nostdin -trace_err \
  -default_behaviors all,-abortunexp \
  >"$work/sipp.out" 2>&1) &
sipp_pid=$!
sleep 0.5

input="{\"destinationNumber\": \"sip:alarm-owner@127.0.0.1:$PHONE_PORT\", \"pin\": \"1234\"}"
echo "run-with-sipp: POST $api/v1/workflows/alarm-notification/executions $input" >&2
started="$(curl -sS -X POST "${auth[@]}" -H 'Content-Type: application/json' \
  -d "$input" "$api/v1/workflows/alarm-notification/executions")"
echo "$started"
status_url="$(printf '%s' "$started" | sed -n 's/.*"statusUrl": *"\([^"]*\)".*/\1/p')"
[ -n "$status_url" ] || { echo "run-with-sipp: the start failed" >&2; exit 1; }

final=""
for i in $(seq 1 600); do
  final="$(curl -sS "${auth[@]}" "$api$status_url")"
  printf '%s' "$final" | grep -q '"status": *"RUNNING"' || break
  sleep 0.2
done
echo "run-with-sipp: final state of the execution:" >&2
echo "$final"

sipp_status=0
wait "$sipp_pid" || sipp_status=$?
sipp_pid=""
echo "run-with-sipp: sipp exit status $sipp_status (0: its call went through)" >&2
if [ "$sipp_status" != 0 ]; then tail -20 "$work/sipp.out" >&2; fi

if printf '%s' "$final" | grep -q '"status": *"SUCCEEDED"' && [ "$sipp_status" = 0 ]; then
  echo "run-with-sipp: SUCCEEDED" >&2
  exit 0
fi
echo "run-with-sipp: the execution did not succeed (server log: KEEP=1 keeps $work/server.log)" >&2
exit 1
