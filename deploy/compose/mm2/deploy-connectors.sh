#!/bin/sh
# docker-compose.yml service mm2-setup: PUTs every MirrorMaker 2 connector config in ./connectors
# (file name = connector name) to the Connect worker, then waits until each connector and all its
# tasks are RUNNING. PUT /connectors/<name>/config creates or updates, so re-running is safe.
set -eu
CONNECT_URL="${CONNECT_URL:-http://dc2-connect:28083}"
DIR="$(dirname "$0")/connectors"
TIMEOUT_S="${TIMEOUT_S:-180}"

curl -fsS --retry 60 --retry-delay 2 --retry-all-errors -o /dev/null "$CONNECT_URL/"

for file in "$DIR"/*.json; do
  name="$(basename "$file" .json)"
  echo "PUT $CONNECT_URL/connectors/$name/config"
  curl -fsS --retry 10 --retry-delay 2 --retry-all-errors -o /dev/null \
    -X PUT -H "Content-Type: application/json" --data-binary "@$file" \
    "$CONNECT_URL/connectors/$name/config"
done

deadline=$(($(date +%s) + TIMEOUT_S))
for file in "$DIR"/*.json; do
  name="$(basename "$file" .json)"
  while :; do
    status="$(curl -fsS "$CONNECT_URL/connectors/$name/status" || true)"
    if echo "$status" | grep -q '"connector":{"state":"RUNNING"' &&
      ! echo "$status" | grep -Eq '"state":"(FAILED|PAUSED|UNASSIGNED|RESTARTING)"'; then
      echo "$name RUNNING"
      break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "mm2-setup: $name not RUNNING after ${TIMEOUT_S}s: $status" >&2
      exit 1
    fi
    sleep 2
  done
done
