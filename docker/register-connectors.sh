#!/bin/sh
# Register (or update) the Debezium connectors with Kafka Connect's REST API, idempotently:
# `PUT /connectors/<name>/config` creates the connector or replaces its configuration
# (Kafka Connect REST API reference, https://kafka.apache.org/documentation/#connect_rest).
#
# Run from the host after `docker compose up` (CONNECT_URL defaults to the published port), or let the
# `register-connectors` service in compose.yaml run it. POSIX sh + curl only (the curl image has no bash/jq).
set -eu

CONNECT_URL="${CONNECT_URL:-http://localhost:8083}"
DIR="$(cd "$(dirname "$0")" && pwd)"
CONFIG_DIR="${CONFIG_DIR:-$DIR/connect}"
# How long to wait for Connect to answer, and for a rebalance to settle, in seconds.
WAIT_SECONDS="${WAIT_SECONDS:-180}"

say() { printf 'register-connectors: %s\n' "$*" >&2; }

# Readiness, not a fixed sleep: poll until the worker answers GET /connectors with 200.
deadline=$(( $(date +%s) + WAIT_SECONDS ))
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$CONNECT_URL/connectors" || true)" = "200" ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then say "Kafka Connect at $CONNECT_URL did not answer within ${WAIT_SECONDS}s"; exit 1; fi
  sleep 2
done

# name:file — the connector names auditql's docs refer to.
for entry in "pgserver1-shop:register-postgres.json" "mysqlserver1-crm:register-mysql.json"; do
  name="${entry%%:*}"
  file="$CONFIG_DIR/${entry#*:}"
  [ -f "$file" ] || { say "missing $file"; exit 1; }
  until
    code=$(curl -s -o /tmp/register-response -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
      --data-binary "@$file" "$CONNECT_URL/connectors/$name/config" || true)
    # 200 updated, 201 created; 409 means the worker group is rebalancing: try again.
    [ "$code" = "200" ] || [ "$code" = "201" ]
  do
    if [ "$code" != "409" ] || [ "$(date +%s)" -ge "$deadline" ]; then
      say "$name: HTTP $code: $(cat /tmp/register-response 2>/dev/null)"
      exit 1
    fi
    sleep 2
  done
  say "$name: registered (HTTP $code)"
done

for name in pgserver1-shop mysqlserver1-crm; do
  say "$name status: $(curl -s "$CONNECT_URL/connectors/$name/status")"
done
