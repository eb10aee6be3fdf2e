#!/usr/bin/env bash
# Black-box test of the stdio MCP server with the official Python `mcp` SDK client.
#
# Installs `mcp` into a venv under target/ (reused on later runs), builds the example servers,
# and runs
# - mcp-tools/tests/python/mcp_client_test.py against `datasource-mcp-server --demo` (the bundled
#   sample on the embedded local provider; no credentials);
# - mcp-tools/tests/python/mcp_workspace_test.py against `databricks-mcp-server --toolsets all`
#   pointed at a mocked workspace on loopback (resources, prompts, one tool of each toolset);
# - mcp-tools/tests/python/mcp_http_test.py against `datasource-mcp-server --demo --transport http`
#   with an API key (MCP_API_KEY): the client sends `Authorization: Bearer …`, and a request
#   without it must get 401.
# No network besides PyPI for the first install.
#
# Env: MCP_PY_VERSION (default 2.3.0), PYTHON (default python3), MCP_HTTP_PORT (default 18766),
# CARGO_TARGET_DIR (where the binaries are built; default target).
set -euo pipefail
cd "$(dirname "$0")/.."
py_version="${MCP_PY_VERSION:-2.3.0}"
venv="target/mcp-python-venv"
python="${PYTHON:-python3}"
bin="${CARGO_TARGET_DIR:-target}/debug/examples"
port="${MCP_HTTP_PORT:-18766}"

start=$SECONDS
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$py_version')" 2>/dev/null; then
  echo "==> installing mcp==$py_version into $venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$py_version"
fi
echo "==> python client ready ($((SECONDS - start))s)"

# Same package selection and features as the test step (`cargo test --workspace --all-features`
# builds every example), so this reuses its artifacts instead of compiling the dependencies again.
cargo build --locked --workspace --all-features --examples
echo "==> server built ($((SECONDS - start))s)"

"$venv/bin/python" mcp-tools/tests/python/mcp_client_test.py \
  "$bin/datasource-mcp-server" --demo
echo "==> python client test passed ($((SECONDS - start))s)"

"$venv/bin/python" mcp-tools/tests/python/mcp_workspace_test.py \
  "$bin/databricks-mcp-server"
echo "==> python workspace test passed ($((SECONDS - start))s)"

# Streamable HTTP with an API key: a random key per run, passed through the environment only.
key="$("$python" -c 'import secrets; print(secrets.token_urlsafe(32))')"
MCP_API_KEY="$key" "$bin/datasource-mcp-server" --demo --transport http --port "$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
"$venv/bin/python" mcp-tools/tests/python/mcp_http_test.py "http://127.0.0.1:$port/mcp" "$key"
echo "==> python HTTP client test (API key) passed ($((SECONDS - start))s)"
