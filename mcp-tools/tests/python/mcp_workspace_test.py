"""Drive `databricks-mcp-server --toolsets all` with the official Python `mcp` SDK client
against a mocked Databricks workspace.

Usage: python mcp_workspace_test.py SERVER_BINARY

Starts a loopback HTTP server that answers like the Databricks REST API (shapes from
shared/reference/notes/databricks-api.md), launches the MCP server over stdio pointed at it with
a canary token, then: lists tools of every toolset, lists and reads resources (a Unity Catalog
table schema, a notebook source), lists resource templates, lists and renders prompts, and calls
one tool of each toolset (datasource, workspace, bundle, platform). The canary token must never
appear in anything the server returns. Exits non-zero on the first failed check.
"""

import asyncio
import base64
import json
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import PaginatedRequestParams

CANARY = "dapi-CANARY-python-0123456789abcdef"

NOTEBOOK_SOURCE = (
    "# Databricks notebook source\n"
    "dbutils.widgets.text(\"catalog\", \"main\")\n"
    "# COMMAND ----------\n"
    "df = spark.table(\"main.sales.orders\")\n"
)

TABLE_ORDERS = {
    "name": "orders",
    "catalog_name": "main",
    "schema_name": "sales",
    "full_name": "main.sales.orders",
    "table_type": "MANAGED",
    "data_source_format": "DELTA",
    "comment": "One row per order",
    "owner": "data-eng",
    "columns": [
        {"name": "order_id", "type_text": "bigint", "type_name": "LONG", "position": 0, "nullable": False},
        {"name": "amount", "type_text": "decimal(10,2)", "type_name": "DECIMAL", "position": 1, "nullable": True},
    ],
}

METRIC_VIEW = {
    "name": "revenue_metrics",
    "catalog_name": "main",
    "schema_name": "sales",
    "full_name": "main.sales.revenue_metrics",
    "table_type": "METRIC_VIEW",
    "comment": "Revenue by region and month",
    "view_definition": (
        "version: 0.1\nsource: main.sales.orders\n"
        "dimensions:\n  - name: region\n    expr: region\n"
        "measures:\n  - name: revenue\n    expr: SUM(amount)\n"
    ),
    "columns": [
        {"name": "region", "type_text": "string", "type_name": "STRING", "position": 0},
        {"name": "revenue", "type_text": "decimal(20,2)", "type_name": "DECIMAL", "position": 1},
    ],
}


def route(method, path, query, body):
    """The mocked workspace: (status, JSON body) for a request."""
    if method == "GET" and path == "/api/2.0/preview/scim/v2/Me":
        return 200, {"id": "42", "userName": "ana@example.com", "displayName": "Ana", "active": True}
    if method == "GET" and path == "/api/2.2/jobs/list":
        return 200, {
            "jobs": [
                {"job_id": 11, "creator_user_name": "ana@example.com", "created_time": 1700000000000,
                 "settings": {"name": "nightly-etl", "format": "MULTI_TASK"}},
                {"job_id": 12, "creator_user_name": "ana@example.com", "created_time": 1700000001000,
                 "settings": {"name": "hourly-refresh", "format": "MULTI_TASK"}},
            ],
            "has_more": False,
        }
    if method == "GET" and path == "/api/2.1/unity-catalog/tables":
        if query.get("schema_name") == ["sales"]:
            return 200, {"tables": [
                {k: v for k, v in TABLE_ORDERS.items() if k != "columns"},
                {k: v for k, v in METRIC_VIEW.items() if k not in ("columns", "view_definition")},
            ]}
        return 200, {"tables": []}
    if method == "GET" and path == "/api/2.1/unity-catalog/table-summaries":
        return 200, {"tables": [
            {"full_name": "main.sales.orders", "table_type": "MANAGED"},
            {"full_name": "main.sales.revenue_metrics", "table_type": "METRIC_VIEW"},
        ]}
    if method == "GET" and path == "/api/2.1/unity-catalog/schemas":
        return 200, {"schemas": [{"name": "sales", "catalog_name": "main", "full_name": "main.sales"}]}
    if method == "GET" and path == "/api/2.1/unity-catalog/tables/main.sales.orders":
        return 200, TABLE_ORDERS
    if method == "GET" and path == "/api/2.1/unity-catalog/tables/main.sales.revenue_metrics":
        return 200, METRIC_VIEW
    if method == "GET" and path == "/api/2.1/unity-catalog/catalogs/tenant_acme":
        return 200, {"name": "tenant_acme", "full_name": "tenant_acme", "owner": "platform-sp",
                     "catalog_type": "MANAGED_CATALOG", "created_at": 1700000000000,
                     "comment": "Tenant acme"}
    if method == "GET" and path == "/api/2.0/workspace/list":
        if query.get("path") == ["/Shared/demo"]:
            return 200, {"objects": [
                {"path": "/Shared/demo/ingest", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 7},
            ]}
        return 200, {"objects": []}
    if method == "GET" and path == "/api/2.0/workspace/get-status":
        if query.get("path") == ["/Shared/demo/ingest"]:
            return 200, {"path": "/Shared/demo/ingest", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 7}
    if method == "GET" and path == "/api/2.0/workspace/export":
        if query.get("path") == ["/Shared/demo/ingest"]:
            return 200, {"content": base64.b64encode(NOTEBOOK_SOURCE.encode()).decode(), "file_type": "py"}
    return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"mock has no {method} {path}"}


class Workspace(BaseHTTPRequestHandler):
    seen = []

    def _handle(self, method):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        auth = self.headers.get("Authorization", "")
        Workspace.seen.append((method, url.path, auth == f"Bearer {CANARY}"))
        status, payload = route(method, url.path, parse_qs(url.query), body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "mock-req-1")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def log_message(self, *args):
        pass


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok - {what}")


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def no_canary(obj, what):
    dumped = obj.model_dump_json() if hasattr(obj, "model_dump_json") else json.dumps(obj)
    check(CANARY not in dumped, f"the token never appears in {what}")


async def call(session, schemas, name, args):
    result = await session.call_tool(name, args)
    no_canary(result, f"the result of {name}")
    if not result.is_error and result.structured_content is not None:
        jsonschema.validate(result.structured_content, schemas[name])
    return result


async def main(argv):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Workspace)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{httpd.server_address[1]}"
    bundle_root = tempfile.mkdtemp(prefix="mcp-bundles-")
    env = {
        "RUST_LOG": "warn",
        "DATABRICKS_HOST": host,
        "DATABRICKS_TOKEN": CANARY,
        # No ~/.databrickscfg of the machine running the test is read.
        "DATABRICKS_CONFIG_FILE": "/nonexistent/databrickscfg",
        "HOME": bundle_root,
    }
    args = [
        "--toolsets", "all",
        "--catalog", "main", "--schema", "sales", "--warehouse-id", "wh-1",
        "--resource-schemas", "main.sales", "--notebook-root", "/Shared/demo",
        "--bundle-root", bundle_root,
    ]
    # A bundle with a misspelled job key, for validate_bundle.
    os.makedirs(os.path.join(bundle_root, "demo"))
    with open(os.path.join(bundle_root, "demo", "databricks.yml"), "w") as f:
        f.write(
            "bundle:\n  name: demo\n"
            "resources:\n  jobs:\n    demo:\n      name: demo\n      max_concurent_runs: 2\n"
            "      tasks:\n        - task_key: main\n          notebook_task:\n"
            "            notebook_path: ./src/etl.py\n"
            "targets:\n  dev:\n    mode: development\n    default: true\n"
        )
    schema = os.environ.get("BUNDLE_SCHEMA_PATH")
    if schema:
        args += ["--bundle-schema", schema]
    params = StdioServerParameters(command=argv[0], args=args, env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(init.server_info.name == "databricks-mcp-server", "initialize")
            caps = init.capabilities
            check(caps.tools is not None and caps.resources is not None and caps.prompts is not None,
                  "server declares tools, resources and prompts")

            tools = (await session.list_tools()).tools
            names = [t.name for t in tools]
            schemas = {t.name: t.output_schema for t in tools}
            for expected in ["list_models", "health", "list_jobs", "analyze_notebook", "validate_bundle",
                             "get_catalog_status", "query_dataset"]:
                check(expected in names, f"tools/list has {expected}")
            check("run_job" not in names and "create_catalog" not in names,
                  "read-only by default: write tools are not listed")
            # The only non-read-only tool a read-only server keeps cancels the caller's own
            # statement (it changes no data).
            not_read_only = [t.name for t in tools if not (t.annotations and t.annotations.read_only_hint)]
            check(not_read_only == ["cancel_statement"], f"every other tool is annotated read-only: {not_read_only}")
            no_canary((await session.list_tools()), "tools/list")

            # Resources: list (paginated by the client), templates, read.
            uris = []
            cursor = None
            while True:
                page = await session.list_resources(params=PaginatedRequestParams(cursor=cursor)) if cursor else await session.list_resources()
                uris += [str(r.uri) for r in page.resources]
                cursor = page.next_cursor
                if not cursor:
                    break
            check("databricks://tables/main/sales/orders" in uris, f"resources/list has the orders table: {uris}")
            check("databricks://notebooks/Shared/demo/ingest" in uris, "resources/list has the notebook")
            templates = (await session.list_resource_templates()).resource_templates
            check(any(t.uri_template.startswith("databricks://tables/") for t in templates), "resources/templates/list")
            read = await session.read_resource("databricks://tables/main/sales/orders")
            doc = json.loads(read.contents[0].text)
            check(doc["columns"][0]["name"] == "order_id", "resources/read returns the table schema")
            read = await session.read_resource("databricks://notebooks/Shared/demo/ingest")
            check("spark.table" in read.contents[0].text, "resources/read returns the notebook source")
            no_canary(read, "resources/read")

            # Prompts.
            prompts = (await session.list_prompts()).prompts
            check([p.name for p in prompts][:1] == ["explore_table"], "prompts/list")
            got = await session.get_prompt("explore_table", {"table": "main.sales.orders"})
            check("main.sales.orders" in got.messages[0].content.text, "prompts/get renders the arguments")

            # One tool of each toolset.
            r = await call(session, schemas, "list_models", {})
            check(not r.is_error and "revenue_metrics" in text_of(r), f"datasource: list_models ({text_of(r)[:80]!r})")
            r = await call(session, schemas, "health", {})
            check(not r.is_error and "ana@example.com" in text_of(r), "workspace: health")
            r = await call(session, schemas, "list_jobs", {})
            check(not r.is_error and "nightly-etl" in text_of(r), "workspace: list_jobs")
            r = await call(session, schemas, "analyze_notebook", {"workspace_path": "/Shared/demo/ingest"})
            check(not r.is_error and "catalog" in text_of(r), f"bundle: analyze_notebook ({text_of(r)[:80]!r})")
            r = await call(session, schemas, "validate_bundle", {"dir": "demo"})
            check(r.structured_content is not None and r.structured_content.get("valid") is False,
                  f"bundle: validate_bundle finds problems ({text_of(r)[:120]!r})")
            if schema:
                check(r.structured_content.get("schema_used") is True and "max_concurent_runs" in text_of(r),
                      "bundle: validate_bundle checks the official schema (the misspelled key is named)")
            r = await call(session, schemas, "validate_bundle", {"dir": "../etc"})
            check(r.is_error, "bundle: a path outside the bundle root is refused")
            r = await call(session, schemas, "get_catalog_status", {"tenant_id": "acme"})
            check(not r.is_error and r.structured_content.get("exists") is True, "platform: get_catalog_status")
            r = await call(session, schemas, "get_job", {"job_id": 999})
            check(r.is_error and "list_jobs" in text_of(r), "an error names the next step")

    check(all(ok for (_, _, ok) in Workspace.seen), "every workspace request carried the bearer token")
    httpd.shutdown()
    print("all checks passed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
