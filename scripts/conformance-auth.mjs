// Preloaded into the MCP conformance runner (`NODE_OPTIONS=--import=<this file>`) by
// scripts/mcp-conformance.sh: every request the runner sends to the server under test carries
// `Authorization: Bearer <key>`, as an MCP client configured with an API key sends it.
//
// `@modelcontextprotocol/conformance` (0.1.16) has no option for request headers in `server`
// mode. Its scenarios send HTTP two ways: Node's global `fetch` (directly, and through the MCP
// TypeScript SDK's Streamable HTTP client transport), and undici's `request` (where a scenario
// must set a `Host` header, which `fetch` forbids). Both are covered: `fetch` is wrapped, and
// undici's global dispatcher (which undici's `request` uses, and which is shared by every copy of
// undici in the process) gets an interceptor. Requests to any other origin are left alone, and
// an `Authorization` header a scenario sets itself wins.
//
// Env: MCP_CONFORMANCE_URL (the server's /mcp URL), MCP_CONFORMANCE_API_KEY (the key),
// MCP_CONFORMANCE_NODE_MODULES (the runner's node_modules, where its undici is installed).
import { createRequire } from "node:module";

const url = process.env.MCP_CONFORMANCE_URL;
const key = process.env.MCP_CONFORMANCE_API_KEY;
const modules = process.env.MCP_CONFORMANCE_NODE_MODULES;
if (!url || !key || !modules) {
  throw new Error(
    "conformance-auth.mjs needs MCP_CONFORMANCE_URL, MCP_CONFORMANCE_API_KEY and MCP_CONFORMANCE_NODE_MODULES",
  );
}
const origin = new URL(url).origin;
const bearer = `Bearer ${key}`;

function isServer(target) {
  try {
    return new URL(String(target)).origin === origin;
  } catch {
    return false; // not an absolute URL: not a request to the server under test
  }
}

// fetch: a Headers object with the key added unless the caller set one.
const innerFetch = globalThis.fetch;
globalThis.fetch = function fetchWithApiKey(input, init) {
  if (!isServer(input instanceof Request ? input.url : input)) {
    return innerFetch(input, init);
  }
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  for (const [name, value] of new Headers(init?.headers ?? undefined)) {
    headers.set(name, value);
  }
  if (!headers.has("authorization")) {
    headers.set("authorization", bearer);
  }
  return innerFetch(input, { ...init, headers });
};

// undici dispatch options carry headers as an object, a flat [name, value, …] array, an array of
// pairs, or an iterable of pairs.
function withKey(headers) {
  const named = (name) => String(name).toLowerCase() === "authorization";
  if (headers == null) {
    return { authorization: bearer };
  }
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      return headers.some(([name]) => named(name)) ? headers : [...headers, ["authorization", bearer]];
    }
    for (let i = 0; i < headers.length; i += 2) {
      if (named(headers[i])) return headers;
    }
    return [...headers, "authorization", bearer];
  }
  const pairs = typeof headers[Symbol.iterator] === "function" ? [...headers] : Object.entries(headers);
  return pairs.some(([name]) => named(name)) ? headers : { ...Object.fromEntries(pairs), authorization: bearer };
}

const undici = createRequire(`${modules}/`)("undici");
const withApiKey = (dispatch) => (options, handler) =>
  dispatch(isServer(options.origin) ? { ...options, headers: withKey(options.headers) } : options, handler);
undici.setGlobalDispatcher(undici.getGlobalDispatcher().compose(withApiKey));
