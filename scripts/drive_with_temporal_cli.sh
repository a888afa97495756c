#!/usr/bin/env bash
# Drive one case end to end with nothing but the `temporal` CLI: start, query, updates, result.
# Shows the workflow contract other clients (Go, Java, the CLI) use: plain JSON in and out.
#
#   scripts/drive_with_temporal_cli.sh [case-id]
# Env: TEMPORAL_ADDRESS (default localhost:7233), TASK_QUEUE (default mediation); with encryption on
# (the default), CODEC_ENDPOINT (e.g. http://localhost:8081, the codec server `make run` starts) and
# CODEC_TOKEN, a bearer token for it (`python -m crypto.tokens --sub <id>`): the CLI then seals what it
# sends and opens what it reads.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
ADDRESS=${TEMPORAL_ADDRESS:-localhost:7233}
QUEUE=${TASK_QUEUE:-mediation}
CASE=${1:-case-431199-2026-$(printf '%06d' $((RANDOM % 90000 + 900000)))}
CODEC=()
if [ -n "${CODEC_ENDPOINT:-}" ]; then
  CODEC=(--codec-endpoint "$CODEC_ENDPOINT")
  if [ -n "${CODEC_TOKEN:-}" ]; then CODEC+=(--codec-auth "Bearer $CODEC_TOKEN"); fi
fi
T() { "$BIN/temporal" --address "$ADDRESS" "${CODEC[@]}" "$@"; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
ACTOR='{"id": "M-0028", "role": "mediator", "committee_id": "C-431199001001-G01"}'

echo "== the workflow input: intake + policy snapshot (the route is looked up by the workflow)"
"$BIN/python" starter.py workflow-input --file examples/neighbour-dispute.json --case-id "$CASE" \
  --policy gaotai-4x7 > "$WORK/input.json"

echo "== start $CASE"
T workflow start --type MediationCase --task-queue "$QUEUE" --workflow-id "$CASE" \
  --input-file "$WORK/input.json"

echo "== query state until the case has opened"
for _ in $(seq 50); do
  if T workflow query --workflow-id "$CASE" --name state -o json > "$WORK/state.json" 2>/dev/null; then break; fi
  sleep 0.2
done
grep -o '"status": *"[a-z_]*"' "$WORK/state.json" | head -1

echo "== a rejected update: someone not on the committee"
if T workflow update execute --workflow-id "$CASE" --name accept \
     --input '{"actor": {"id": "M-9999", "role": "mediator", "committee_id": "C-431199001001-G01"}, "mediator_ids": ["M-0028"]}' 2>&1; then
  echo "unexpected: accepted"; exit 1
fi

echo "== accept"
T workflow update execute --workflow-id "$CASE" --name accept \
  --input "{\"actor\": $ACTOR, \"mediator_ids\": [\"M-0028\"]}" > /dev/null
echo "== record_session"
T workflow update execute --workflow-id "$CASE" --name record_session \
  --input "{\"actor\": $ACTOR, \"held_at\": \"$(date -u -d "+5 seconds" +%Y-%m-%dT%H:%M:%SZ)\", \"attendees\": [\"P1\", \"P2\"], \"notes\": \"两户到场，现场查看围墙\"}" > /dev/null
echo "== record_agreement"
T workflow update execute --workflow-id "$CASE" --name record_agreement \
  --input "{\"actor\": $ACTOR, \"form\": \"written\", \"terms\": \"围墙按原址重建，费用各半\", \"signed_by\": [\"P1\", \"P2\"]}" > /dev/null

for visit in 1 2; do
  echo "== record_visit $visit"
  T workflow update execute --workflow-id "$CASE" --name record_visit \
    --input "{\"actor\": $ACTOR, \"performing\": true, \"notes\": \"协议已履行\"}" > /dev/null
done

echo "== result"
T workflow result --workflow-id "$CASE" -o json > "$WORK/result.json"
grep -o '"closure_reason": *"[a-z_]*"' "$WORK/result.json" | head -1
