// One convex-test backend running the compiled functions, called the way the real backend's HTTP API calls them:
// the function is looked up by its path, hidden when internal and the caller is not admin, refused when it is of
// another type than the endpoint's, and every failure becomes the backend's error shape (a JsError message, with
// errorData for a ConvexError) instead of an exception.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes, randomUUID } from "node:crypto";
import { format as formatLog } from "node:util";
import { convexTest } from "convex-test";

const TYPES = { query: "Query", mutation: "Mutation", action: "Action" };
const RUNNERS = { query: "queryFromPath", mutation: "mutationFromPath", action: "actionFromPath" };
const UPLOAD_TOKEN_SECONDS = 60 * 60; // STORE_FILE_AUTHORIZATION_VALIDITY in the backend
const LOG_LEVELS = { log: "LOG", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG" };

/** A function failure as the backend reports it: message (a JsError) and, for a ConvexError, its data. */
export class FunctionFailure extends Error {
  constructor(message, data) {
    super(message);
    this.data = data;
    this.uncaught = false;
  }
}

/** "versions:save" / "versions.js:save" / "dir/mod" (default export) -> {module, name}, or null when malformed. */
export function parsePath(path) {
  if (typeof path !== "string") return null;
  const match = /^([A-Za-z0-9_\-./]+?)(?:\.js)?(?::([A-Za-z_$][\w$]*))?$/.exec(path);
  if (match === null || match[1].split("/").some((part) => part === "" || part === "." || part === "..")) return null;
  return { module: match[1], name: match[2] ?? "default" };
}

export class Backend {
  constructor({ modules, schema }) {
    this.modules = modules;
    this.t = convexTest(schema, modules);
    this.baseUrl = "http://127.0.0.1";
    this.uploadTokens = new Map(); // token -> expiry (ms)
    this.fileUuids = new Map(); // storage id -> the uuid its download URL names
    this.filesByUuid = new Map();
    this.logs = new AsyncLocalStorage();
    this.interceptStorageUrls();
    this.captureLogs();
  }

  // convex-test answers ctx.storage.getUrl / generateUploadUrl with made-up https://some-deployment... URLs; the
  // stand-in serves real ones, so the syscalls are wrapped to name this server (the global is convex-test's
  // proxy to the current backend, installed once by the first convexTest()).
  interceptStorageUrls() {
    const proxy = globalThis.Convex;
    const backend = this;
    globalThis.Convex = {
      get syscall() { return proxy.syscall; },
      get jsSyscall() { return proxy.jsSyscall; },
      get asyncSyscall() {
        const inner = proxy.asyncSyscall;
        return async (op, jsonArgs) => {
          if (op === "1.0/storageGenerateUploadUrl") {
            await inner(op, jsonArgs);
            return JSON.stringify(backend.newUploadUrl());
          }
          if (op === "1.0/storageGetUrl") {
            const url = JSON.parse(await inner(op, jsonArgs));
            return JSON.stringify(url === null ? null : backend.downloadUrl(JSON.parse(jsonArgs).storageId));
          }
          return await inner(op, jsonArgs);
        };
      },
    };
  }

  // Function logs go to the request that ran them (the real API's logLines), not to the server's console.
  captureLogs() {
    for (const [method, level] of Object.entries(LOG_LEVELS)) {
      const original = console[method].bind(console);
      console[method] = (...args) => {
        const lines = this.logs.getStore();
        if (lines === undefined) return original(...args);
        lines.push(`[${level}] ${args.map((arg) => formatLog("%O", arg)).join(" ")}`);
      };
    }
  }

  newUploadUrl() {
    const token = randomBytes(24).toString("base64url");
    this.uploadTokens.set(token, Date.now() + UPLOAD_TOKEN_SECONDS * 1000);
    return `${this.baseUrl}/api/storage/upload?token=${token}`;
  }

  downloadUrl(storageId) {
    let uuid = this.fileUuids.get(storageId);
    if (uuid === undefined) {
      uuid = randomUUID();
      this.fileUuids.set(storageId, uuid);
      this.filesByUuid.set(uuid, storageId);
    }
    return `${this.baseUrl}/api/storage/${uuid}`;
  }

  /** Is `token` one this server handed out, less than an hour ago? */
  uploadAllowed(token) {
    const expiry = this.uploadTokens.get(token);
    return expiry !== undefined && expiry > Date.now();
  }

  async storeFile(bytes, contentType) {
    const blob = new Blob([bytes], contentType ? { type: contentType } : {});
    return await this.t.run(async (ctx) => await ctx.storage.store(blob));
  }

  /** {blob, meta} of the file a download URL names, or null. */
  async readFile(uuid) {
    const storageId = this.filesByUuid.get(uuid);
    if (storageId === undefined) return null;
    let found = null;
    await this.t.run(async (ctx) => {
      const meta = await ctx.db.system.get(storageId);
      const blob = meta === null ? null : await ctx.storage.get(storageId);
      found = blob === null ? null : { blob, meta };
      return null;
    });
    return found;
  }

  async resolve(path, kind, admin) {
    const parsed = parsePath(path);
    if (parsed === null) throw new FunctionFailure(`${path} is not a valid path to a Convex function.`);
    const missing = () => new FunctionFailure(`Could not find public function for '${parsed.module}:${parsed.name}'.`);
    const loader = parsed.module.startsWith("_generated") ? undefined : this.moduleLoader(parsed.module);
    if (loader === undefined) throw missing();
    const fn = (await loader())[parsed.name];
    const type = fn?.isQuery ? "query" : fn?.isMutation ? "mutation" : fn?.isAction ? "action" : null;
    if (type === null || (fn.isInternal && !admin)) throw missing();
    if (kind !== "any" && type !== kind) {
      throw new FunctionFailure(
        `Trying to execute ${parsed.module}.js:${parsed.name} as ${TYPES[kind]}, but it is defined as ${TYPES[type]}.`);
    }
    return { udfPath: `${parsed.module}:${parsed.name}`, type };
  }

  moduleLoader(module) {
    const key = Object.keys(this.modules).find((k) => k.replace(/\.[^./]+$/, "") === `./convex/${module}`);
    return key === undefined ? undefined : this.modules[key];
  }

  /**
   * Run `path` as the endpoint `kind` ("query" | "mutation" | "action" | "any") for `auth` ({admin, identity}).
   * Resolves to {ok: true, value, logLines} or {ok: false, failure, logLines}.
   */
  async call(path, kind, args, auth) {
    const logLines = [];
    try {
      const { udfPath, type } = await this.resolve(path, kind, auth.admin);
      const caller = auth.identity === null ? this.t : this.t.withIdentity(auth.identity);
      const value = await this.logs.run(logLines, () => caller[RUNNERS[type]]({ udfPath, componentPath: "" }, args));
      return { ok: true, value: value === undefined ? null : value, logLines };
    } catch (error) {
      return { ok: false, failure: asFailure(error), logLines };
    }
  }
}

/** What the backend's JsError says for `error`: "Uncaught Name: message" for a throw, the plain message otherwise. */
function asFailure(error) {
  if (error instanceof FunctionFailure) return error;
  const message = String(error?.message ?? error);
  if (/^Validator error/.test(message) || /^The arguments to a Convex function must be an object/.test(message)) {
    return new FunctionFailure(`ArgumentValidationError: ${message}`);
  }
  const isConvexError = typeof error === "object" && error !== null && Symbol.for("ConvexError") in error;
  const name = isConvexError ? "ConvexError" : (error?.name ?? "Error");
  const failure = new FunctionFailure(`Uncaught ${name}: ${message}`, isConvexError ? error.data : undefined);
  failure.uncaught = true;
  return failure;
}
