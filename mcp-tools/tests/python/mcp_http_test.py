"""Drive the Streamable HTTP server with the official Python `mcp` SDK client, authenticated.

Usage: python mcp_http_test.py URL API_KEY

The server must serve the DataSource toolset over the bundled sample
(`datasource-mcp-server --demo --transport http`) with API_KEY among its keys. Checks that a
request without the key is refused with 401 and a `WWW-Authenticate` challenge, then runs a
session with `Authorization: Bearer API_KEY`.
"""

import asyncio
import sys
import urllib.error
import urllib.request

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok - {what}")


def unauthenticated_status(url):
    req = urllib.request.Request(
        url,
        data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, response.headers.get("www-authenticate")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("www-authenticate")


async def main(url, key):
    status, challenge = unauthenticated_status(url)
    check(status == 401, f"no key: HTTP {status}")
    check(challenge is not None and challenge.startswith("Bearer"), f"WWW-Authenticate: {challenge}")

    # mcp 2.x: headers go on the HTTP client handed to the transport.
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with http, streamable_http_client(url, http_client=http) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(init.server_info.name == "datasource-mcp-server", f"initialize over HTTP ({init.protocol_version})")
            names = [t.name for t in (await session.list_tools()).tools]
            check("list_models" in names and "query_model" in names, f"tools/list: {names}")
            result = await session.call_tool("list_models", {})
            check(not result.is_error, "list_models")
            check(result.structured_content["count"] > 0, f"{result.structured_content['count']} models")
    print("python HTTP client test passed")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
