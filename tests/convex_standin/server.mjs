#!/usr/bin/env node
// A local stand-in for a Convex deployment's HTTP API, running the project's SHIPPED functions (convex/) in
// convex-test, Convex's own mock backend, so the Python source and the editor talk to the code a real
// deployment runs. No Convex backend can run here (it downloads a binary), hence this.
//
//   node tests/convex_standin/server.mjs --port 0 --deploy-key KEY [--jwt-secret S] [--functions DIR] [--host H]
//
// Prints "listening on http://HOST:PORT" when ready; SIGTERM/SIGINT stop it cleanly.
//
// Answers as the backend's crates/local_backend/src/public_api.rs does (read from its source; see
// /work/notes/convex-contract.md, "Changes"): POST /api/query|mutation|action|function, /api/run/{mod/fn},
// GET /api/query, /api/query_ts, /api/query_at_ts, /api/query_batch, and file storage (/api/storage/upload,
// /api/storage/{uuid}); CORS as a deployment sends it. Stand-in only: POST /_standin/run_many (admin) runs many
// calls in one request, for seeding thousands of versions through the real functions.
import { createServer } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { jsonToConvex } from "convex/values";
import { authenticate, readAuthorization, verifyAuthorization } from "./lib/auth.mjs";
import { Backend, parsePath } from "./lib/backend.mjs";
import { compileFunctions } from "./lib/compile.mjs";
import { speedUpIndexRanges } from "./lib/fastindex.mjs";
import { exportValue, httpError, parseFormat } from "./lib/values.mjs";

const REPO = resolve(fileURLToPath(import.meta.url), "../../..");
const MAX_BODY_BYTES = 20 * 1024 * 1024; // the backend's MAX_BACKEND_PUBLIC_API_REQUEST_SIZE is 20 MiB
const CACHE_FILES = "private, max-age=2592000"; // storage GETs are immutable (30 days)

function requestId() {
  return randomBytes(8).toString("hex");
}

function send(res, status, body, headers = {}) {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": bytes.length, ...headers });
  res.end(bytes);
}

// tower-http's CorsLayer as the backend configures it: mirror the origin and the requested headers, with credentials.
function cors(req, res) {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("access-control-allow-credentials", "true");
  res.setHeader("vary", "origin, access-control-request-method, access-control-request-headers");
}

function preflight(req, res) {
  cors(req, res);
  res.setHeader("access-control-allow-methods", "GET,POST,OPTIONS,PATCH,DELETE,PUT");
  const asked = req.headers["access-control-request-headers"];
  if (asked !== undefined) res.setHeader("access-control-allow-headers", asked);
  res.setHeader("access-control-max-age", "86400");
  res.writeHead(200, { "content-length": 0 });
  res.end();
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw httpError(413, "RequestTooLarge", `Request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJson(req, required) {
  const text = (await readBody(req)).toString("utf8");
  let body;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw httpError(400, "BadJsonBody", `Failed to parse the request body as JSON: ${error.message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw httpError(400, "BadJsonBody", "Failed to deserialize the JSON body into the target type: expected an object");
  }
  for (const field of required) {
    if (!(field in body)) {
      throw httpError(400, "BadJsonBody", `Failed to deserialize the JSON body into the target type: missing field \`${field}\``);
    }
  }
  return body;
}

/** Named args (an object) or the legacy positional form the clients still send ([object]). */
function functionArgs(raw) {
  let args = raw;
  if (Array.isArray(raw)) {
    if (raw.length !== 1) return { invalid: `Expected exactly one argument object, got ${raw.length}` };
    args = raw[0];
  }
  if (args === undefined || args === null) args = {};
  try {
    return { args: jsonToConvex(args) };
  } catch (error) {
    return { invalid: error.message };
  }
}

function checkPath(path) {
  if (parsePath(path) === null) {
    throw httpError(400, "BadConvexFunctionIdentifier", `${path} is not a valid path to a Convex function.`);
  }
}

/** The UdfResponse JSON for a call's outcome (HTTP 200 either way, as the backend answers). */
function udfResponse(outcome, format) {
  const logLines = outcome.logLines.length ? { logLines: outcome.logLines } : {};
  if (outcome.ok) return { status: "success", value: exportValue(outcome.value, format), ...logLines };
  const { failure } = outcome;
  const body = { status: "error", errorMessage: `[Request ID: ${requestId()}] Server Error\n${failure.message}\n` };
  if (failure.data !== undefined) body.errorData = exportValue(failure.data, format);
  return { ...body, ...logLines };
}

async function runCall(backend, auth, { path, args: rawArgs, format: rawFormat }, kind, defaultFormat = undefined) {
  checkPath(path);
  const format = parseFormat(rawFormat ?? defaultFormat);
  const { args, invalid } = functionArgs(rawArgs);
  if (invalid !== undefined) {
    return udfResponse({ ok: false, failure: { message: `ArgumentValidationError: ${invalid}` }, logLines: [] }, format);
  }
  return udfResponse(await backend.call(path, kind, args, auth), format);
}

function queryTs() {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(Date.now()) * 1000000n);
  return { ts: bytes.toString("base64") };
}

async function upload(backend, req, url) {
  const token = url.searchParams.get("token");
  if (token === null || !backend.uploadAllowed(token)) {
    throw httpError(401, "StorageTokenInvalid", "Couldn't decode the StoreFileAuthorization token");
  }
  const bytes = await readBody(req);
  const digest = /^sha-256=(.+)$/.exec(req.headers.digest ?? "");
  if (digest !== null && digest[1] !== createHash("sha256").update(bytes).digest("base64")) {
    throw httpError(400, "Sha256Mismatch", "The uploaded bytes do not match the Digest header's sha-256");
  }
  return { storageId: await backend.storeFile(bytes, req.headers["content-type"]) };
}

async function download(backend, res, uuid) {
  const file = await backend.readFile(uuid);
  if (file === null) throw httpError(404, "FileNotFound", `File ${uuid} not found`);
  const bytes = Buffer.from(await file.blob.arrayBuffer());
  const headers = {
    "content-length": bytes.length,
    "cache-control": CACHE_FILES,
    "accept-ranges": "bytes",
    digest: `sha-256=${file.meta.sha256}`,
  };
  if (file.meta.contentType) headers["content-type"] = file.meta.contentType;
  res.writeHead(200, headers);
  res.end(bytes);
}

// Seeding for tests: [{path, args, identity?, kind?}] run in order through the real functions, in-process, up to
// the first that fails.
async function runMany(backend, auth, req) {
  if (!auth.admin) throw httpError(401, "BadAdminKey", "/_standin/run_many needs the deploy key");
  const { calls, format: rawFormat } = await readJson(req, ["calls"]);
  const format = parseFormat(rawFormat);
  const results = [];
  for (const call of calls) {
    checkPath(call.path);
    const identity = call.identity ?? null;
    const { args, invalid } = functionArgs(call.args);
    if (invalid !== undefined) throw httpError(400, "BadJsonBody", invalid);
    const outcome = await backend.call(call.path, call.kind ?? "any", args, { admin: true, identity });
    results.push(udfResponse(outcome, format));
    if (!outcome.ok) break; // the rest would be seeded on top of a failure: stop there
  }
  return { results };
}

const ENDPOINTS = { "/api/query": "query", "/api/query_at_ts": "query", "/api/mutation": "mutation",
  "/api/action": "action", "/api/function": "any" };

async function route(backend, options, req, res) {
  const url = new URL(req.url, backend.baseUrl);
  const path = url.pathname;
  if (req.method === "OPTIONS") return preflight(req, res);
  cors(req, res);
  if (req.method === "GET" && path.startsWith("/api/storage/")) return await download(backend, res, path.slice(13));
  if (req.method === "POST" && path === "/api/storage/upload") return send(res, 200, await upload(backend, req, url));
  if (req.method === "POST" && path === "/api/query_ts") return send(res, 200, queryTs());
  const auth = () => authenticate(req.headers.authorization, options);
  if (req.method === "POST" && ENDPOINTS[path] !== undefined) {
    // The backend's order: the header's kind (400), the JSON body (400), the function path (400), then the key
    // or token itself (401).
    const header = readAuthorization(req.headers.authorization);
    const body = await readJson(req, ["path", "args"]);
    checkPath(body.path);
    const who = verifyAuthorization(header, options);
    return send(res, 200, await runCall(backend, who, body, ENDPOINTS[path]));
  }
  if (req.method === "POST" && path.startsWith("/api/run/")) {
    const who = auth();
    const parts = path.slice(9).split("/").map(decodeURIComponent);
    if (parts.length < 2 || parts.some((part) => part === "")) {
      throw httpError(400, "MissingIdentifier", "Path or function name not provided in path, e.g. /api/run/messages/list");
    }
    const body = await readJson(req, ["args"]);
    const name = parts.pop();
    return send(res, 200, await runCall(backend, who, { ...body, path: `${parts.join("/")}:${name}` }, "any", "json"));
  }
  if (req.method === "GET" && path === "/api/query") {
    const who = auth();
    let args;
    try {
      args = JSON.parse(url.searchParams.get("args") ?? "{}");
    } catch (error) {
      throw httpError(400, "BadQueryArgs", error.message);
    }
    const call = { path: url.searchParams.get("path"), args, format: url.searchParams.get("format") ?? undefined };
    return send(res, 200, await runCall(backend, who, call, "query"));
  }
  if (req.method === "POST" && path === "/api/query_batch") {
    const who = auth();
    const { queries } = await readJson(req, ["queries"]);
    const results = [];
    for (const query of queries) results.push(await runCall(backend, who, query, "query"));
    return send(res, 200, { results });
  }
  if (req.method === "POST" && path === "/_standin/run_many") return send(res, 200, await runMany(backend, auth(), req));
  res.writeHead(404, { "content-length": 0 });
  res.end();
}

function options() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      "deploy-key": { type: "string" },
      "jwt-secret": { type: "string" },
      functions: { type: "string", default: resolve(REPO, "convex") },
    },
  });
  if (values["deploy-key"] === undefined) throw new Error("--deploy-key is required (the admin key this stand-in accepts)");
  return { port: Number(values.port), host: values.host, deployKey: values["deploy-key"],
    jwtSecret: values["jwt-secret"], functions: resolve(values.functions) };
}

async function main() {
  const opts = options();
  const compiled = await compileFunctions(opts.functions);
  const backend = new Backend(compiled);
  if (!(await speedUpIndexRanges(backend.t))) {
    process.stderr.write("convex stand-in: convex-test's database not found; index ranges scan whole tables (slower)\n");
  }
  const server = createServer((req, res) => {
    route(backend, opts, req, res).catch((error) => {
      if (res.headersSent) return res.destroy();
      if (error.httpStatus !== undefined) return send(res, error.httpStatus, { code: error.code, message: error.message });
      process.stderr.write(`convex stand-in: ${error.stack ?? error}\n`);
      send(res, 500, { code: "InternalServerError", message: "Your request couldn't be completed. Try again later." });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((done) => server.listen(opts.port, opts.host, done));
  backend.baseUrl = `http://${opts.host}:${server.address().port}`;
  process.stdout.write(`listening on ${backend.baseUrl}\n`);
  const stop = () => {
    server.close(() => {
      compiled.cleanup();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  process.stderr.write(`convex stand-in: ${error.message}\n`);
  process.exit(1);
});
