#!/usr/bin/env bash
# The official MCP conformance suite against the Streamable HTTP transport.
#
# `@modelcontextprotocol/conformance` needs Node >= 22 and is HTTP-only; Node 22 comes from the
# npm package `node@22` (no toolchain download), both installed under target/mcp-node and reused
# on later runs. Runs the generic server scenarios that need no fixture tools:
# server-initialize, ping, tools-list, dns-rebinding-protection.
#
# Authentication is on, as in a deployment: the server requires an API key (`MCP_API_KEY`, a
# random key per run), and the runner sends it on every request. The runner's `server` mode has
# no option for request headers (checked in 0.1.16: `--url`, `--scenario`, `--suite`,
# `--expected-failures`, `-o`, `--spec-version`, `--verbose`), so scripts/conformance-auth.mjs is
# preloaded into it (`NODE_OPTIONS=--import=…`) and adds `Authorization: Bearer <key>` to each
# request to the server under test (through `fetch` and through undici's global dispatcher). Before the scenarios, a request without the key must get 401
# with `WWW-Authenticate`, and one with the key 200: the suite really runs authenticated.
#
# Env: CONFORMANCE_VERSION (default 0.1.16), MCP_CONFORMANCE_PORT (default 18765),
# CARGO_TARGET_DIR (where the binaries are built; default target).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
version="${CONFORMANCE_VERSION:-0.1.16}"
port="${MCP_CONFORMANCE_PORT:-18765}"
dir="target/mcp-node"

start=$SECONDS
if [ ! -x "$dir/node_modules/.bin/node" ] || [ ! -f "$dir/node_modules/@modelcontextprotocol/conformance/package.json" ] \
  || ! grep -q "\"version\": \"$version\"" "$dir/node_modules/@modelcontextprotocol/conformance/package.json"; then
  echo "==> installing node@22 and @modelcontextprotocol/conformance@$version into $dir"
  mkdir -p "$dir"
  (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund --loglevel=error node@22 "@modelcontextprotocol/conformance@$version")
fi
export PATH="$root/$dir/node_modules/.bin:$PATH"
echo "==> node $(node --version), conformance $version ready ($((SECONDS - start))s)"

# Same package selection and features as the test step (`cargo test --workspace --all-features`
# builds every example), so this reuses its artifacts instead of compiling the dependencies again.
cargo build --locked --workspace --all-features --examples
echo "==> server built ($((SECONDS - start))s)"

# A random key per run, passed through the environment only.
key="$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')"
url="http://127.0.0.1:$port/mcp"
MCP_API_KEY="$key" "${CARGO_TARGET_DIR:-target}/debug/examples/datasource-mcp-server" --demo \
  --transport http --host 127.0.0.1 --port "$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done

# Authentication really is on: no key → 401 with WWW-Authenticate; the key → 200.
MCP_CONFORMANCE_URL="$url" MCP_CONFORMANCE_API_KEY="$key" node --input-type=module -e '
const url = process.env.MCP_CONFORMANCE_URL;
const init = {
  method: "POST",
  headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
  body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {
    protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "auth-check", version: "0" } } }),
};
const anonymous = await fetch(url, init);
if (anonymous.status !== 401 || !anonymous.headers.get("www-authenticate")?.startsWith("Bearer")) {
  throw new Error(`without a key: expected 401 with WWW-Authenticate: Bearer, got ${anonymous.status}`);
}
init.headers.authorization = `Bearer ${process.env.MCP_CONFORMANCE_API_KEY}`;
const keyed = await fetch(url, init);
if (keyed.status !== 200) {
  throw new Error(`with the key: expected 200, got ${keyed.status}: ${await keyed.text()}`);
}
console.log("==> auth on: 401 without the key, 200 with it");
'

results="target/mcp-conformance-results"
rm -rf "$results"
for scenario in server-initialize ping tools-list dns-rebinding-protection; do
  echo "==> scenario $scenario (authenticated)"
  MCP_CONFORMANCE_URL="$url" MCP_CONFORMANCE_API_KEY="$key" \
    MCP_CONFORMANCE_NODE_MODULES="$root/$dir/node_modules" NODE_OPTIONS="--import=$root/scripts/conformance-auth.mjs" \
    node "$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js" server \
    --url "$url" --scenario "$scenario" -o "$results"
done
echo "==> conformance passed ($((SECONDS - start))s)"
