"""Drive an MCP stdio server with the official Python `mcp` SDK client.

Usage: python mcp_client_test.py SERVER_BINARY [ARGS...]

The server must serve the DataSource toolset over the bundled sample in read-only mode
(`datasource-mcp-server --demo`). Exits non-zero on the first failed check and prints each
step, so CI logs show what was exercised.
"""

import asyncio
import json
import sys

import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

EXPECTED_TOOLS = [
    "list_models",
    "describe_model",
    "get_model_metrics",
    "get_model_dimensions",
    "query_model",
    "execute_sql",
    "get_statement",
    "cancel_statement",
]


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok - {what}")


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def call(session, schemas, name, args):
    result = await session.call_tool(name, args)
    if not result.is_error:
        # The Python client validates too; validate explicitly so a silent client change
        # cannot hide a schema mismatch.
        jsonschema.validate(result.structured_content, schemas[name])
    return result


async def main(argv):
    params = StdioServerParameters(command=argv[0], args=argv[1:], env={"RUST_LOG": "warn"})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(init.server_info.name != "", f"initialize ({init.protocol_version}, server {init.server_info.name})")
            check(init.capabilities.tools is not None, "server declares the tools capability")

            tools = (await session.list_tools()).tools
            names = [t.name for t in tools]
            check(names == EXPECTED_TOOLS, f"tools/list in stable order: {names}")
            schemas = {}
            for t in tools:
                check(t.input_schema.get("type") == "object", f"{t.name} has an object inputSchema")
                check(t.output_schema is not None, f"{t.name} has an outputSchema")
                check(t.annotations is not None and t.annotations.read_only_hint is not None,
                      f"{t.name} has annotations")
                check(bool(t.description), f"{t.name} has a description")
                schemas[t.name] = t.output_schema
            sql_tool = next(t for t in tools if t.name == "execute_sql")
            check(sql_tool.annotations.read_only_hint is True, "execute_sql is read-only in read-only mode")

            models = await call(session, schemas, "list_models", {})
            check(not models.is_error, "list_models succeeds")
            model_list = models.structured_content["models"]
            check(len(model_list) > 0, f"list_models returns models: {[m['name'] for m in model_list]}")
            model = model_list[0]["name"]

            desc = await call(session, schemas, "describe_model", {"model_name": model})
            check(not desc.is_error, f"describe_model {model}")
            metrics = [m["name"] for m in desc.structured_content["metrics"]]
            dims = [d["name"] for d in desc.structured_content["dimensions"] if not d.get("is_time")]
            check(metrics and dims, f"{model} has metrics {metrics} and dimensions {dims}")

            q = await call(session, schemas, "query_model", {
                "model_name": model,
                "metrics": metrics[:1],
                "dimensions": dims[:1],
                "order": [{"member": metrics[0], "direction": "desc"}],
                "limit": 5,
            })
            check(not q.is_error, f"structured query_model: {text_of(q)[:200]!r}")
            sc = q.structured_content
            check(0 < sc["row_count"] <= 5 and len(sc["rows"]) == sc["row_count"], "query_model returns rows")
            check([c["name"] for c in sc["columns"]] == [dims[0], metrics[0]] or len(sc["columns"]) == 2,
                  f"query_model columns {sc['columns']}")

            one = await call(session, schemas, "query_model", {
                "model_name": model, "metrics": metrics[:1], "dimensions": dims[:1], "limit": 1,
            })
            sc = one.structured_content
            if sc["truncated"]:
                check("more" in sc and "offset" in sc["more"], "a capped result says truncated and how to get more")

            s = await call(session, schemas, "execute_sql", {"sql": "SELECT 1 AS one"})
            check(not s.is_error, f"execute_sql SELECT: {text_of(s)!r}")
            check(s.structured_content["rows"] == [[1]], f"execute_sql rows {s.structured_content['rows']}")

            for bad in [
                "INSERT INTO orders VALUES (1)",
                "WITH x AS (DELETE FROM orders) SELECT 1",
                "SELECT 1; DROP TABLE orders",
            ]:
                w = await session.call_tool("execute_sql", {"sql": bad})
                check(w.is_error, f"rejected in read-only mode: {bad!r} -> {text_of(w)[:120]!r}")

            unknown = await session.call_tool("describe_model", {"model_name": "no_such_model"})
            check(unknown.is_error and "list_models" in text_of(unknown),
                  "an unknown model is isError naming list_models")

            try:
                await session.call_tool("no_such_tool", {})
                check(False, "an unknown tool is a protocol error")
            except Exception as e:  # mcp.shared.exceptions.MCPError
                check(True, f"an unknown tool is a protocol error ({type(e).__name__})")
    print("all checks passed")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    asyncio.run(main(sys.argv[1:]))
