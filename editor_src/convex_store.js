// The Convex store (manifest `editor: {store: {type: convex, url, auth}}`, carried by recipe.json's `store`):
// versions saved to a Convex deployment through the functions in convex/ (versions:save, versions:get,
// versions:listForThread, files:generateUploadUrl), with the pinned `convex` browser client.
//
// The client is `ConvexHttpClient` (plain HTTPS requests: no WebSocket to keep open for an editor that saves now
// and then, and what the tests' stand-in answers). Sign-in follows Convex's `setAuth(fetchToken)` contract:
// `fetchToken({forceRefreshToken})` resolves with the site's OIDC ID token (a JWT Convex checks against
// convex/auth.config.ts) or null when nobody is signed in; it is asked before each call (cached until the token
// is about to expire) and once more with `forceRefreshToken` when Convex refuses the token.
//
// Files: text files go as `{path, text}`; binary files (images) are uploaded to Convex file storage first
// (files:generateUploadUrl, then a POST of the bytes) and go as `{path, storageId}`; the deployment records
// their sha256, size and type itself. Opening a version downloads them back (their `url`) as bytes.

import { ConvexHttpClient } from "convex/browser";

const PAGE_SIZE = 100; // versions listed per page of versions:listForThread
// A Convex document holds at most 1 MiB and a snapshot may hold 10: past this many bytes of text in the version
// document, the largest text files go to file storage as images do (convex/versions.ts says the same), typed
// TEXT_TYPE so that opening the version gives them back as text.
const DOCUMENT_TEXT_BYTES = 768 * 1024;
const TEXT_TYPE = "text/plain; charset=utf-8";
const EXPIRY_MARGIN_S = 60; // a cached token is asked for again this long before it expires

/** The claims of a JWT, for showing who is signed in (Convex checks the signature, not the page). */
export function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const text = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
    return JSON.parse(text) ?? {};
  } catch {
    return {};
  }
}

/** `fetchToken` for `auth: {token_url}` or `auth: {token_function}` (documented in editor_src/README.md). */
export function tokenProvider(auth, pageUrl) {
  if (auth.token_function) {
    return async ({ forceRefreshToken = false } = {}) => {
      const provide = globalThis[auth.token_function];
      if (typeof provide !== "function") {
        throw new Error(`the site defines no function ${auth.token_function}() to sign in with (editor.store.auth)`);
      }
      return (await provide({ forceRefreshToken })) || null;
    };
  }
  const url = new URL(auth.token_url, pageUrl);
  return async () => {
    let response;
    try {
      response = await fetch(url, { credentials: "include", cache: "no-store" });
    } catch (error) {
      throw new Error(`the sign-in endpoint ${url.href} did not answer (${error.message})`);
    }
    if ([204, 401, 403].includes(response.status)) return null;
    if (!response.ok) throw new Error(`the sign-in endpoint ${url.href} answered HTTP ${response.status}`);
    const text = (await response.text()).trim();
    if (!text.startsWith("{")) return text || null;
    const data = JSON.parse(text);
    return data?.token ?? data?.id_token ?? null;
  };
}

/** A Convex error in plain words: `{text, problems, code}` (`problems` from a refused snapshot). */
export function describeError(error) {
  const data = error?.data && typeof error.data === "object" ? error.data : null;
  if (data) {
    const problems = Array.isArray(data.problems) ? data.problems.map(String) : [];
    const text = {
      unauthenticated: "sign in first: the Convex store saves only for a signed-in author",
      forbidden: data.message || "this thread belongs to another author: fork it under a new thread id",
      exists: data.message || "that version is already saved; versions are never overwritten",
      invalid: `Convex refused the version: ${problems.length} problem${problems.length === 1 ? "" : "s"}` +
        (problems.length ? ` (${problems.slice(0, 2).join("; ")}${problems.length > 2 ? "; …" : ""})` : ""),
    }[data.code] ?? data.message ?? String(error.message);
    return { text, problems, code: data.code ?? null };
  }
  const message = String(error?.message ?? error);
  // ConvexHttpClient throws the body of an answer other than 200/560 as it is: Convex's {code, message}.
  try {
    const body = JSON.parse(message);
    if (body && typeof body === "object" && body.code) {
      const signIn = /^(Unauthenticated|InvalidAuthHeader|NoAuthProvider)$/.test(body.code);
      return { text: signIn ? `Convex did not accept the sign-in (${body.message})` : `Convex: ${body.message}`,
        problems: [], code: signIn ? "unauthenticated" : body.code };
    }
  } catch {
    // not JSON: a network failure or a plain-text answer
  }
  const offline = error instanceof TypeError || /fetch|network/i.test(message);
  return { text: offline ? `the Convex store did not answer (${message})` : message, problems: [], code: null };
}

/** The text files to save through file storage, largest first, until the rest fits a Convex document: path ->
 * their UTF-8 bytes. */
function storedAsFiles(files) {
  const encoder = new TextEncoder();
  const texts = Object.entries(files).filter(([, data]) => typeof data === "string")
    .map(([path, text]) => [path, encoder.encode(text)]).sort((a, b) => b[1].length - a[1].length);
  let total = texts.reduce((sum, [path, bytes]) => sum + bytes.length + path.length, 0);
  const stored = new Map();
  for (const [path, bytes] of texts) {
    if (total <= DOCUMENT_TEXT_BYTES) break;
    stored.set(path, bytes);
    total -= bytes.length;
  }
  return stored;
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function isoTime(ms) {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"); // the snapshot format's `created`
}

/** Versions in a Convex deployment, for the editor (main.js and actions.js call it as `editor.store`). */
export class ConvexStore {
  constructor(settings, pageUrl) {
    this.url = settings.url;
    this.settings = settings;
    this.loginUrl = settings.auth.login_url ? new URL(settings.auth.login_url, pageUrl).href : null;
    // The URL was checked by the manifest (a *.convex.cloud name, a custom domain, or localhost).
    this.client = new ConvexHttpClient(settings.url, { skipConvexDeploymentUrlCheck: true, logger: false });
    this.cached = null; // {token, expires}
    this.uploaded = new Map(); // sha256 -> storageId: a file uploaded once is not uploaded again
    this.setAuth(tokenProvider(settings.auth, pageUrl));
  }

  /** Convex's `setAuth(fetchToken)`: the function asked for a token before each call. */
  setAuth(fetchToken) {
    this.fetchToken = fetchToken;
    this.cached = null;
  }

  /** The current token (null: nobody is signed in). */
  async token({ forceRefreshToken = false } = {}) {
    const now = Date.now() / 1000;
    if (!forceRefreshToken && this.cached && this.cached.expires - EXPIRY_MARGIN_S > now) return this.cached.token;
    const token = await this.fetchToken({ forceRefreshToken });
    const expires = Number(tokenClaims(token ?? "").exp) || now + 5 * 60;
    this.cached = token ? { token, expires } : null;
    return token;
  }

  /** Who is signed in: `{name, subject}`, or null. */
  async identity() {
    const token = await this.token();
    if (!token) return null;
    const claims = tokenClaims(token);
    return { name: claims.name || claims.email || claims.sub || "signed in", subject: claims.sub ?? null };
  }

  /** One query or mutation with the current token; once more with a fresh token if Convex refuses it. */
  async call(kind, name, args) {
    for (const forceRefreshToken of [false, true]) {
      const token = await this.token({ forceRefreshToken });
      if (token) this.client.setAuth(token);
      else this.client.clearAuth();
      try {
        return await this.client[kind](name, args);
      } catch (error) {
        const refused = describeError(error).code === "unauthenticated" && !error?.data;
        if (!refused || forceRefreshToken || !token) throw error;
      }
    }
    return null; // not reached
  }

  /** Upload one binary file (or find it uploaded); its storage id. */
  async upload(bytes, contentType) {
    const sha256 = await sha256Hex(bytes);
    if (this.uploaded.has(sha256)) return this.uploaded.get(sha256);
    const url = await this.call("mutation", "files:generateUploadUrl", {});
    const response = await fetch(url, { method: "POST", headers: { "Content-Type": contentType }, body: bytes });
    if (!response.ok) throw new Error(`Convex file storage refused the upload (HTTP ${response.status})`);
    const { storageId } = await response.json();
    this.uploaded.set(sha256, storageId);
    return storageId;
  }

  /** Save a snapshot (made by SnapshotFormat.makeSnapshot; binary files are Uint8Arrays) as its version, which must
   * be new in the thread (else `exists`); `contentType(path)` names a binary file's type. Resolves with
   * `{thread, version, created, sha256}`. */
  async save(snapshot, contentType) {
    const files = [];
    const stored = storedAsFiles(snapshot.files);
    for (const [path, data] of Object.entries(snapshot.files)) {
      if (typeof data !== "string") files.push({ path, storageId: await this.upload(data, contentType(path)) });
      else if (stored.has(path)) files.push({ path, storageId: await this.upload(stored.get(path), TEXT_TYPE) });
      else files.push({ path, text: data });
    }
    return this.call("mutation", "versions:save", {
      thread: snapshot.thread, version: snapshot.version, title: snapshot.title, entry: snapshot.entry, files,
      dependencies: snapshot.dependencies ?? {}, threadTitle: snapshot.title ?? undefined,
    });
  }

  /** The thread's versions, newest first: `[{version, created, authorName, title}]`. */
  async versions(thread) {
    const found = [];
    let cursor = null;
    do {
      const page = await this.call("query", "versions:listForThread",
        { thread, paginationOpts: { numItems: PAGE_SIZE, cursor } });
      found.push(...page.page.map((item) => ({ version: item.version, created: isoTime(item.created),
        authorName: item.authorName ?? null, title: item.title ?? null })));
      cursor = page.isDone ? null : page.continueCursor;
    } while (cursor);
    return found;
  }

  /** One saved version as the editor's snapshot (binary files downloaded as bytes), or null if there is none. */
  async get(thread, version, format) {
    const doc = await this.call("query", "versions:get", { thread, version });
    if (!doc) return null;
    const files = {};
    for (const file of doc.files) {
      if (typeof file.text === "string") {
        files[file.path] = file.text;
        continue;
      }
      const bytes = await this.download(file, thread, version);
      this.uploaded.set(file.sha256, file.storageId);
      // A text file the editor put in storage (its type says so) is text again; an image stays bytes.
      files[file.path] = file.contentType === TEXT_TYPE ? new TextDecoder().decode(bytes) : bytes;
    }
    const dependencies = Array.isArray(doc.dependencies)
      ? Object.fromEntries(doc.dependencies.map((item) => [item.name, item.spec])) : doc.dependencies ?? {};
    return { format: format.format, thread: doc.thread, version: doc.version, title: doc.title ?? null,
      entry: doc.entry ?? null, created: isoTime(doc.created), files, dependencies };
  }

  async download(file, thread, version) {
    const response = file.url ? await fetch(file.url).catch(() => null) : null;
    if (!response?.ok) throw new Error(`${thread}/${version}: the file ${file.path} did not download from Convex`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (file.sha256 && (await sha256Hex(bytes)) !== file.sha256) {
      throw new Error(`${thread}/${version}: ${file.path} downloaded from Convex does not match its sha256`);
    }
    return bytes;
  }
}
