// Saving without a server: drafts and immutable versions in IndexedDB, the snapshot JSON format (export,
// import, the published source.json files), quick-share links in the URL hash, and, under
// `mkdocs-hybrid serve`, saving a version through its local API.

export const FORMAT = "mkdocs-hybrid/snapshot@1";
export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const SHARE_LIMIT = 32 * 1024;
// The order of build/snapshot.ENTRY_CANDIDATES: the editor picks the entry the site build would pick.
const ENTRY_CANDIDATES = ["index.html", "src/index.tsx", "src/index.jsx", "src/index.ts", "src/index.js",
  "index.tsx", "index.jsx", "index.ts", "index.js"];
const SNAPSHOT_KEYS = new Set(["format", "thread", "version", "title", "entry", "created", "author", "tags",
  "unlisted", "files", "dependencies"]);

// ---- the snapshot format -------------------------------------------------------------------------

export function detectEntry(paths) {
  const names = new Set(paths);
  return ENTRY_CANDIDATES.find((candidate) => names.has(candidate)) ?? null;
}

/** The draft's `package.json` dependencies ({} when there is none or it does not parse yet). */
export function dependenciesOf(files) {
  try {
    const data = JSON.parse(files["package.json"] ?? "{}");
    const dependencies = data && typeof data === "object" ? data.dependencies : null;
    return dependencies && typeof dependencies === "object" && !Array.isArray(dependencies) ? { ...dependencies } : {};
  } catch {
    return {};
  }
}

/** The site build's format (seconds, `Z`): it normalises `created` the same way. */
export function now() {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * A snapshot JSON object, keys in the documented order; `files` sorted by path (stable exports). The draft's
 * `package.json` becomes `dependencies` and is not a file of the snapshot, as in a directory source, where
 * the site build reads it as metadata: both builds then see the same files.
 */
export function makeSnapshot({ thread, version, title, entry, created, files }) {
  const paths = Object.keys(files).filter((path) => path !== "package.json").sort();
  const sorted = Object.fromEntries(paths.map((path) => [path, files[path]]));
  return {
    format: FORMAT,
    thread,
    version,
    title: title || null,
    entry: entry && entry in sorted ? entry : detectEntry(paths),
    created: created || now(),
    files: sorted,
    dependencies: dependenciesOf(files),
  };
}

/** Check a parsed snapshot JSON as the site build does, with a message a person can act on. */
export function checkSnapshot(data) {
  if (!data || typeof data !== "object" || data.format !== FORMAT) {
    throw new Error(`not a snapshot file: "format" must be "${FORMAT}"`);
  }
  for (const key of ["thread", "version"]) {
    if (typeof data[key] !== "string" || !ID_PATTERN.test(data[key]) || data[key] === "latest") {
      throw new Error(`"${key}" must match [a-z0-9][a-z0-9._-]{0,63} (and not be "latest")`);
    }
  }
  const unknown = Object.keys(data).filter((key) => !SNAPSHOT_KEYS.has(key));
  if (unknown.length) throw new Error(`unknown keys in the snapshot: ${unknown.join(", ")}`);
  const files = data.files;
  if (!files || typeof files !== "object" || Array.isArray(files) || !Object.keys(files).length) {
    throw new Error('"files" must be a non-empty object of {"path": "contents"}');
  }
  for (const [path, contents] of Object.entries(files)) {
    if (typeof contents !== "string") throw new Error(`files[${JSON.stringify(path)}] must be a string`);
    if (!isRelativePath(path)) throw new Error(`files: ${JSON.stringify(path)} is not a relative path`);
  }
  return data;
}

/** The files to edit: a snapshot's `dependencies` are shown as the `package.json` they came from. */
export function editableFiles(snapshot) {
  const files = { ...snapshot.files };
  const dependencies = snapshot.dependencies ?? {};
  if (!("package.json" in files) && Object.keys(dependencies).length) {
    files["package.json"] = JSON.stringify({ dependencies }, null, 2) + "\n";
  }
  return files;
}

export function parseSnapshot(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`invalid JSON: ${error.message}`);
  }
  return checkSnapshot(data);
}

export function isRelativePath(path) {
  return typeof path === "string" && path !== "" && !path.startsWith("/") && !path.includes("\\") &&
    path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** The next free version id: one past the highest `vN` taken here or on the site (ids are never reused). */
export function nextVersion(taken) {
  let highest = 0;
  for (const version of taken) {
    const match = /^v(\d+)$/.exec(version);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  let next = highest + 1;
  while (new Set(taken).has(`v${next}`)) next += 1;
  return `v${next}`;
}

// ---- IndexedDB ---------------------------------------------------------------------------------------

const DB_NAME = "mkdocs-hybrid-editor";
const DB_VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Drafts (one per thread, overwritten as the author types) and versions (added once, never replaced). */
export class Store {
  static async open() {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("drafts", { keyPath: "thread" });
      db.createObjectStore("versions", { keyPath: ["thread", "version"] });
    };
    return new Store(await promised(request));
  }

  constructor(db) {
    this.db = db;
  }

  run(storeName, mode, action) {
    const transaction = this.db.transaction(storeName, mode);
    const result = promised(action(transaction.objectStore(storeName)));
    // Resolve once the transaction is committed, so a reload right after sees the write.
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => result.then(resolve, reject);
      transaction.onabort = () => reject(transaction.error);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  saveDraft(draft) {
    return this.run("drafts", "readwrite", (store) => store.put({ ...draft, updated: Date.now() }));
  }

  draft(thread) {
    return this.run("drafts", "readonly", (store) => store.get(thread));
  }

  async lastDraft() {
    const drafts = await this.run("drafts", "readonly", (store) => store.getAll());
    return drafts.sort((a, b) => b.updated - a.updated)[0] ?? null;
  }

  /** Store a new version; `add` (not `put`) makes IndexedDB refuse to overwrite an existing one. */
  async addVersion(snapshot) {
    try {
      await this.run("versions", "readwrite", (store) => store.add(snapshot));
    } catch (error) {
      if (error?.name === "ConstraintError") {
        throw new Error(`${snapshot.thread}/${snapshot.version} is already saved; versions are never overwritten`);
      }
      throw error;
    }
  }

  version(thread, version) {
    return this.run("versions", "readonly", (store) => store.get([thread, version]));
  }

  async versions(thread) {
    const range = IDBKeyRange.bound([thread, ""], [thread, "\uffff"]);
    return this.run("versions", "readonly", (store) => store.getAll(range));
  }
}

// ---- quick-share links ----------------------------------------------------------------------------------

function base64url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

async function through(bytes, stream) {
  const response = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await response.arrayBuffer());
}

/** `#s=` + base64url(deflate-raw(snapshot JSON)); `null` when over SHARE_LIMIT. */
export async function shareHash(snapshot) {
  const json = new TextEncoder().encode(JSON.stringify(snapshot));
  const hash = `#s=${base64url(await through(json, new CompressionStream("deflate-raw")))}`;
  return hash.length > SHARE_LIMIT ? null : hash;
}

/** The snapshot in a `#s=` hash (throws a readable error for a damaged link). */
export async function readShareHash(hash) {
  const encoded = new URLSearchParams(hash.replace(/^#/, "")).get("s");
  try {
    const json = await through(fromBase64url(encoded), new DecompressionStream("deflate-raw"));
    return parseSnapshot(new TextDecoder().decode(json));
  } catch (error) {
    throw new Error(`this share link is damaged (${error.message})`);
  }
}

// ---- files -------------------------------------------------------------------------------------------------

export function download(snapshot) {
  const blob = new Blob([JSON.stringify(snapshot, null, 2) + "\n"], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${snapshot.thread}-${snapshot.version}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// ---- mkdocs-hybrid serve ---------------------------------------------------------------------------------------

const TOKEN_KEY = "mkdocs-hybrid-token";

/** Take `#token=` out of the address bar into sessionStorage; the API settings, or null for a static site. */
export function serveApi(location, history) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  const kept = sessionStorage.getItem(TOKEN_KEY);
  return kept ? { base: new URL("../api/", location.href).href, token: kept } : null;
}

/** POST the snapshot to the serve API; resolves with its answer (`share_url`, ...) or throws its one line. */
export async function postVersion(api, snapshot) {
  let response;
  try {
    response = await fetch(new URL("versions", api.base), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hybrid-Token": api.token },
      body: JSON.stringify(snapshot),
    });
  } catch (error) {
    throw new Error(`the local server did not answer (${error.message})`);
  }
  const answer = await response.json().catch(() => ({}));
  if (response.status !== 201) {
    throw new Error(answer.error || `the local server refused the version (HTTP ${response.status})`);
  }
  return answer;
}
