#!/usr/bin/env bash
# The guide's manual verification, as an admin would type it: Part 5 Step 4
# ("Verify the discovery surface") and Part 6 Step 2 ("Acquire a token and call
# the gateway"), the same curl requests in the same order. Sign-in (`az login`,
# `az account get-access-token`) is a person's step and is done beforehand: the
# token comes from TOKEN_FILE, as it does for c7doctor and Inspector.
#
# Where the guide has a person read the output, this script checks what the
# guide says to expect and exits 1 when it is not there, so that a benchmark of
# it measures a procedure that worked.
#
#   GATEWAY=https://127.0.0.1:PORT GATEWAY_APP_ID=<guid> TOKEN_FILE=token \
#   CA_FILE=lab-ca.pem [API_PATH=context7] bench/curl-procedure.sh
set -euo pipefail

: "${GATEWAY:?set GATEWAY to the gateway origin, e.g. https://127.0.0.1:8443}"
: "${GATEWAY_APP_ID:?set GATEWAY_APP_ID}"
: "${TOKEN_FILE:?set TOKEN_FILE to a file holding the gateway token}"
API_PATH="${API_PATH:-context7}"
APIM_HOST="${GATEWAY#https://}"
# The lab's CA; a real gateway needs none.
CURL=(curl --silent --show-error --max-time 10)
if [[ -n "${CA_FILE:-}" ]]; then
  CURL+=(--cacert "$CA_FILE")
fi

fail() {
  echo "curl-procedure: $*" >&2
  exit 1
}

# --- Part 5 Step 4: Verify the discovery surface --------------------------
prm=$("${CURL[@]}" --fail "https://$APIM_HOST/.well-known/oauth-protected-resource")
echo "$prm"
[[ $prm == *'"resource"'* && $prm == *'"authorization_servers"'* ]] || fail "PRM: not the JSON document of Part 5 Step 2"

asm=$("${CURL[@]}" --fail "https://$APIM_HOST/.well-known/oauth-authorization-server")
echo "$asm"
[[ $asm == *'"issuer"'* && $asm == *'"token_endpoint"'* ]] || fail "AS metadata: not the JSON document of Part 5 Step 2"

redirect=$("${CURL[@]}" -i -o /dev/null -w "%{http_code} -> %{redirect_url}\n" \
  "https://$APIM_HOST/authorize?client_id=$GATEWAY_APP_ID&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%2F&code_challenge=abc&code_challenge_method=S256&scope=api%3A%2F%2F$GATEWAY_APP_ID%2FMcp.Gateway.Access&state=x")
echo "$redirect"
[[ $redirect == "302 -> https://"*"/oauth2/v2.0/authorize?"* ]] || fail "/authorize: expected 302 to Entra's authorize endpoint"

challenge=$("${CURL[@]}" -i -X POST "https://$APIM_HOST/$API_PATH/mcp" -d '{}' -H "Content-Type: application/json" 2>&1)
echo "$challenge" | sed -n 1,10p
[[ $challenge == "HTTP/"*" 401"* ]] || fail "unauthenticated POST: expected 401"
[[ $challenge == *'resource_metadata="https://'* ]] || fail "401 without WWW-Authenticate: Bearer resource_metadata"

# --- Part 6 Step 2: Acquire a token and call the gateway -------------------
TOKEN=$(<"$TOKEN_FILE")
init=$("${CURL[@]}" -i -X POST "https://$APIM_HOST/$API_PATH/mcp" \
  -H "Authorization: Bearer $TOKEN" \
  -H "Content-Type: application/json" \
  -H "Accept: application/json, text/event-stream" \
  -d '{"jsonrpc":"2.0","method":"initialize","id":1,"params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"smoke","version":"0.0.1"}}}')
echo "$init"
[[ $init == "HTTP/"*" 200"* ]] || fail "initialize: expected 200 OK"
[[ $init == *'"serverInfo"'* ]] || fail "initialize: no server info in the body"
