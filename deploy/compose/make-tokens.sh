#!/usr/bin/env bash
# Generates the switchover API tokens for docker compose, once per installation: one random token
# per role. The service gets only their SHA-256 (secrets/api-tokens.yaml, the compose secret
# api_tokens, read through service.auth.tokensFile); the tokens themselves go to
# secrets/tokens.json (mode 0600), in the same shape as the sandbox's .sandbox/tokens.json.
# Nothing here is committed (secrets/ is git-ignored). --force replaces existing tokens.
set -euo pipefail
cd "$(dirname "$0")"

if [[ -e secrets/api-tokens.yaml && "${1:-}" != "--force" ]]; then
  echo "secrets/api-tokens.yaml exists; keep it, or run $0 --force to issue new tokens" >&2
  exit 1
fi

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi
}

mkdir -p secrets
hashes="# API token hashes for switchover (make-tokens.sh); the tokens are in tokens.json.
tokens:"
plain="{"
sep=""
for role in viewer operator approver admin; do
  token="so_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  digest="$(printf '%s' "$token" | sha256)"
  hashes+=$'\n'"  - { name: compose-${role}, sha256: ${digest}, roles: [${role}] }"
  plain+="${sep}"$'\n'"  \"${role}\": \"${token}\""
  sep=","
done
plain+=$'\n'"}"

umask 077
printf '%s\n' "$plain" > secrets/tokens.json
printf '%s\n' "$hashes" > secrets/api-tokens.yaml
# The service runs as uid 1000 (node) and reads the hashes; they are not secret on their own.
chmod 0644 secrets/api-tokens.yaml
echo "wrote secrets/api-tokens.yaml (hashes, for the service) and secrets/tokens.json (the tokens, 0600)"
