// The editor page: wires the code view, file tree, tabs, problems panel and preview to the build worker
// (builder.js), the drafts and versions in IndexedDB (idb_store.js) and the toolbar's actions (actions.js).
// It owns the open snapshot; the parts below only render it. The snapshot rules (snapshot_format.js) are the
// site build's own, read from its recipe.json at start-up.
//
// URL state, as in the esbuild and Svelte playgrounds: `?thread=T&version=V` opens a saved or published
// version, `?thread=T` the draft of a thread, `#s=...` a quick-share link, `#token=...` the serve API token.

import * as actions from "./actions.js";
import { Builder } from "./builder.js";
import { ConvexStore, describeError } from "./convex_store.js";
import { Store } from "./idb_store.js";
import { Preview } from "./preview.js";
import { serveApi } from "./serve_client.js";
import { readShareHash } from "./share_link.js";
import { SnapshotFormat, editableFiles, nextVersion, randomThreadId } from "./snapshot_format.js";
import { CodeView } from "./ui/codeview.js";
import { ConsolePanel } from "./ui/console.js";
import { FileTree, Tabs } from "./ui/filetree.js";
import { Panes } from "./ui/panes.js";
import { Notice, Problems, uniqueProblems } from "./ui/problems.js";
import { wireShortcuts } from "./ui/shortcuts.js";
import { openInNewTab } from "./preview_tab.js";

const BUILD_DEBOUNCE_MS = 0; // no wait: the builder keeps one build in flight and drops all but the newest edit
const DRAFT_DEBOUNCE_MS = 400;

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("editor-config").textContent);
// Start-up milestones (performance.now(), ms from navigation): read by the tests and benchmarks/editor.py.
const marks = { main: performance.now() };
const mark = (name) => {
  marks[name] ??= performance.now();
};
// `"preview": false` in the page's config (set only by benchmarks/editor.py, for its floor): the same page with
// the preview step removed, i.e. the worker starts (wasm compiled, esbuild initialized) and the code shows.
const previewStep = config.preview !== false;
// Published sources and vendor files: the site's root, or the artifact origin (deploy.artifacts: r2).
const artifactsRoot = new URL(config.artifacts ?? "../", location.href);
const api = serveApi(location, history);

// The worker builds nothing (not even its warm-up) until the published preview's files are in, or until it is
// known that there is none: on two busy cores its warm-up took the CPU that fetching and reading them needed.
let openGate = () => {};
const gate = new Promise((resolve) => {
  openGate = resolve;
});
// Only an address that names a version (and no #s= link) can open one as published: others never wait.
const urlParams = new URLSearchParams(location.search);
if (!previewStep || !urlParams.get("thread") || !urlParams.get("version") || location.hash.startsWith("#s=")) {
  openGate();
}
// Started first: the .wasm downloads and compiles while the rest of the page starts.
const builder = new Builder({
  workerUrl: new URL(config.worker, location.href),
  wasmUrl: new URL(config.wasm, location.href),
  recipeUrl: new URL(config.recipe, location.href),
  api,
  warm: previewStep,
  gate,
});
// Then that version's files: they need neither the recipe nor IndexedDB, which load meanwhile.
const early = earlyFetches(urlParams);

const state = {
  thread: "",
  version: "v1",
  title: "",
  entry: null, // an entry the snapshot named; null means detected from the files
  files: {},
  open: [],
  active: null,
  dirty: false, // files differ from the saved or published version `version`
  build: [],
  missing: [],
  runtime: [],
  published: {}, // recipe.json's threads: {thread: [versions]}
  starters: [], // recipe.json's starters: the templates of the New menu
  remote: {}, // versions saved in the Convex store: {thread: [{version, created, authorName}]}
  saveProblems: [], // what the Convex store refused in the last save (shown under Problems)
};

let db = null;
let format = null; // the SnapshotFormat of the site's recipe, once it has loaded
let siteRoot = null; // recipe.site_root: how a published page names the site's root ("../../../")
let store = null; // the ConvexStore when the manifest says editor.store: {type: convex} (convex_store.js)
const notice = new Notice($("notice"));
// The code pane follows the system's colour scheme as the page's CSS does, also when it changes while open.
const darkScheme = window.matchMedia("(prefers-color-scheme: dark)");
const code = new CodeView($("editor"), { onChange: edited, dark: darkScheme.matches });
darkScheme.addEventListener("change", (event) => code.setDark(event.matches));
const tree = new FileTree($("file-tree"), $("add-file"), {
  onOpen: (path) => openFile(path),
  onAdd: addFile,
  onRename: renameFile,
  onDelete: deleteFile,
  onInvalid: (message) => notice.show(message, { kind: "error" }),
});
const tabs = new Tabs($("tabs"), { onSelect: (path) => openFile(path), onClose: closeTab });
const problems = new Problems($("problems"), $("problem-count"), {
  onReveal: (file, line, column) => (file in state.files ? openFile(file, line, column) : null),
});
const consolePanel = new ConsolePanel($("console"), $("console-count"), $("console-clear"));
const preview = new Preview($("preview"), {
  siteRoot: artifactsRoot,
  onRuntimeError: (error) => {
    state.runtime.push(error);
    renderProblems();
  },
  onConsole: (line) => consolePanel.add(line),
  onShown: previewShown,
});
new Panes(document.querySelector(".app"),
  { files: $("resize-files"), code: $("resize-code"), bottom: $("resize-bottom") },
  { files: $("files-pane"), code: $("code-pane"), preview: document.querySelector(".preview"),
    bottom: $("problems-pane") });

// Timing of the newest edit, kept per build request: the status line shows keystroke-to-preview.
const editTimes = new Map();
const editTimeOfResult = new WeakMap();
let lastEdit = null; // null: the build was not caused by an edit (opening a snapshot)
const latencies = [];
window.hybridEditor = { latencies, state, marks }; // read by the browser tests

// ---- the snapshot -----------------------------------------------------------------------------------

function snapshot(version = state.version, created = undefined) {
  return format.makeSnapshot({ thread: state.thread, version, title: state.title, entry: state.entry, created,
    files: state.files });
}

function entryPath() {
  return state.entry && state.entry in state.files ? state.entry : format.detectEntry(Object.keys(state.files));
}

function draftRecord() {
  return { thread: state.thread, base: state.version, dirty: state.dirty, title: state.title, entry: state.entry,
    files: state.files, open: state.open, active: state.active };
}

/** Show a snapshot (or a draft record): files, tabs, fields; then build it. */
function load(data, { dirty = false } = {}) {
  loads += 1;
  published = null;
  state.thread = data.thread;
  state.version = data.version ?? data.base ?? "v1";
  state.title = data.title ?? "";
  state.entry = data.entry ?? null;
  state.files = data.format ? editableFiles(data) : { ...data.files }; // a snapshot, or a draft record
  state.dirty = dirty;
  state.build = [];
  state.missing = [];
  state.runtime = [];
  const paths = Object.keys(state.files);
  state.open = (data.open ?? []).filter((path) => path in state.files);
  const first = data.active in state.files ? data.active : entryPath() ?? paths.sort()[0];
  if (!state.open.length) state.open = [first];
  state.active = null;
  for (const path of code.states.keys()) code.forget(path);
  $("title").value = state.title;
  $("thread").value = state.thread;
  openFile(first);
  mark("code");
  renderFields();
  lastEdit = null;
  requestBuild(0);
  refreshVersions();
}

// ---- editing ------------------------------------------------------------------------------------------

function edited(path, text) {
  state.files[path] = text;
  changed();
}

function changed({ rerender = false } = {}) {
  state.dirty = true;
  lastEdit = performance.now();
  if (rerender) renderFiles();
  renderFields();
  requestBuild(BUILD_DEBOUNCE_MS);
  saveDraftSoon();
}

let buildTimer = 0;
let buildQueued = false;
function requestBuild(delay) {
  clearTimeout(buildTimer);
  const editedAt = lastEdit;
  const send = () => {
    buildQueued = false;
    if (!previewStep || !Object.keys(state.files).length) return;
    const id = builder.request(snapshot());
    if (editedAt !== null) editTimes.set(id, editedAt);
  };
  if (delay > 0) {
    buildTimer = setTimeout(send, delay);
  } else if (!buildQueued) {
    // Right after this keystroke's task (a timer would wait behind the preview's animation frames), once
    // for all the changes one keystroke makes.
    buildQueued = true;
    queueMicrotask(send);
  }
}

let draftTimer = 0;
function saveDraftSoon() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveDraft, DRAFT_DEBOUNCE_MS);
}

/** Keep the draft in IndexedDB now; true once it is kept. */
async function saveDraft() {
  clearTimeout(draftTimer);
  if (!db || !format?.idPattern.test(state.thread)) return false;
  try {
    await db.saveDraft(draftRecord());
    $("status-save").textContent = state.dirty ? "draft saved in this browser" : `${state.thread}/${state.version}`;
    return true;
  } catch (error) {
    $("status-save").textContent = `draft not saved: ${error.message}`;
    return false;
  }
}

function openFile(path, line = null, column = 1) {
  if (!(path in state.files)) return;
  if (!state.open.includes(path)) state.open.push(path);
  if (state.active !== path) {
    state.active = path;
    if (isBinary(path)) {
      code.clear(); // kept and built with the others, not edited as text
      notice.show(`${path} is a binary file (${state.files[path].length} bytes, ${contentType(path)}): it is ` +
        "saved and built with the snapshot, not edited here; delete it or add it again to change it.");
    } else {
      code.open(path, state.files[path], errorsIn(path));
    }
  }
  renderFiles();
  if (line !== null) code.reveal(line, column);
}

function closeTab(path) {
  const index = state.open.indexOf(path);
  state.open = state.open.filter((item) => item !== path);
  if (state.active === path) {
    const next = state.open[Math.min(index, state.open.length - 1)];
    state.active = null;
    if (next) openFile(next);
    else code.clear();
  }
  renderFiles();
}

function addFile(path) {
  state.files[path] = "";
  changed({ rerender: true });
  openFile(path);
}

function renameFile(from, to) {
  state.files[to] = state.files[from];
  delete state.files[from];
  if (state.entry === from) state.entry = to;
  state.open = state.open.map((path) => (path === from ? to : path));
  if (state.active === from) state.active = to;
  code.rename(from, to);
  changed({ rerender: true });
}

function deleteFile(path) {
  if (Object.keys(state.files).length === 1) {
    notice.show("A snapshot needs at least one file.", { kind: "error" });
    return;
  }
  if (!confirm(`Delete ${path}?`)) return;
  delete state.files[path];
  if (state.entry === path) state.entry = null;
  code.forget(path);
  closeTab(path);
  changed({ rerender: true });
}

// ---- rendering --------------------------------------------------------------------------------------------

function errorsIn(path) {
  return state.build.filter((error) => error.file === path);
}

function renderFiles() {
  const failing = state.build.map((error) => error.file);
  tree.render({ paths: Object.keys(state.files), active: state.active, entry: entryPath(), errors: failing });
  tabs.render({ open: state.open, active: state.active, errors: failing });
}

function renderProblems() {
  problems.render({ build: state.build, missing: state.missing, runtime: state.runtime, save: state.saveProblems });
  if (state.active) code.setDiagnostics(state.active, errorsIn(state.active));
  renderFiles();
}

function renderFields() {
  $("version").value = state.version;
  $("version").classList.toggle("unsaved", state.dirty);
  $("version").title = state.dirty ? `unsaved changes since ${state.version}` : `${state.thread}/${state.version}`;
  $("thread").classList.toggle("invalid", !format.idPattern.test(state.thread));
  document.title = `${state.title || state.thread || "Editor"} · editor`;
  $("status-save").textContent = state.dirty ? "● unsaved changes" : `${state.thread}/${state.version}`;
}

function setUrl({ version = true } = {}) {
  const params = new URLSearchParams({ thread: state.thread });
  if (version) params.set("version", state.version);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

// ---- builds and the preview ----------------------------------------------------------------------------------

// A published version opened as published: until the worker's first build, the preview shows the share link's
// own files (page.html, style.css and the vendor file its page names), which are that build's bytes (the site
// built them from the same snapshot with the same recipe). The first live build is compared with them field by
// field: the same bytes keep the frame on screen (nothing reloads), other bytes replace it as any build does.
let published = null; // the result made of the share link's files, while no live build has come
let showingPublished = false;
let loads = 0; // counts load(): a published preview that arrives after another load is dropped

function versionFolder(thread, version) {
  return new URL(`artifacts/${encodeURIComponent(thread)}/${encodeURIComponent(version)}/`, artifactsRoot);
}

/** The address's version (`?thread=T&version=V`, no `#s=` link), asked for as the page starts: its
 * `source.json` (what fetchVersion reads for a published version) and, with the preview step, its share link's
 * files and the vendor file they name. Only used if that version is what opens (openFromUrl decides). */
function earlyFetches(params) {
  const thread = params.get("thread");
  const version = params.get("version");
  if (!thread || !version || location.hash.startsWith("#s=")) return null;
  const folder = versionFolder(thread, version);
  const source = fetch(new URL("source.json", folder)).catch(() => null);
  return { thread, version, source, files: previewStep ? shareLinkFiles(folder) : null };
}

/** `{page, css, vendor}` of a share link's folder (null when a file is missing); the vendor file (the path the
 * page's vendor tag names, `site_root` + `vendor/…` as publish/artifacts.py writes it) starts loading at once. */
async function shareLinkFiles(folder) {
  const text = async (name) => {
    const response = await fetch(new URL(name, folder));
    if (!response.ok) throw new Error(`${name}: ${response.status}`);
    return response.text();
  };
  try {
    const [page, css] = await Promise.all([text("page.html"), text("style.css")]);
    const tag = /<script src="([^"]*?)(vendor\/[^"/]+\.js)"><\/script>/.exec(page);
    if (tag) preview.vendorSource(tag[2]).catch(() => {}); // preview.show awaits it (fetched once per path)
    return { page, css, root: tag ? tag[1] : null, vendor: tag ? tag[2] : null };
  } catch {
    return null;
  }
}

/** The share link's files of `thread/version` as a build result, or null when they are not all there. */
async function publishedResult(thread, version) {
  const mine = early?.files && early.thread === thread && early.version === version;
  const files = await (mine ? early.files : shareLinkFiles(versionFolder(thread, version)));
  // The vendor tag must name site_root + the set's vendor path (the build's `vendor`), as the build writes it.
  if (!files || (files.vendor && files.root !== siteRoot)) return null; // the live build shows the preview
  return { ok: true, published: true, page: files.page, css: files.css, vendor: files.vendor };
}

/** Show the published files of the snapshot just loaded, unless an edit or a live build came first. */
async function showPublished(loading) {
  const count = loads;
  const result = await loading;
  mark("published");
  // The files are in: from here the worker's warm-up and first build overlap the frame's first run.
  openGate();
  if (!result || count !== loads || state.dirty || window.hybridEditor.lastResult) return;
  published = result;
  $("preview-state").textContent = "";
  preview.show(result);
}

/** The first live build of a snapshot shown from its published files: true if it is those very bytes. */
function samePublished(result) {
  const shown = published;
  published = null;
  return Boolean(shown && result.ok && result.page === shown.page && result.css === shown.css &&
    (result.vendor ?? null) === shown.vendor && preview.adopt(shown, result));
}


builder.onresult = (result) => {
  const status = $("status-build");
  mark("build");
  window.hybridEditor.lastResult = result;
  if (samePublished(result)) {
    // The frame on screen already runs these bytes: it stays, with its errors and console lines.
    state.build = [];
    state.missing = [];
    status.textContent = `built in ${result.ms} ms`;
    status.className = "";
    if (preview.current?.result === result) mark("live"); // else once it is on screen (previewShown)
  } else if (result.ok) {
    state.runtime = []; // the errors of the last run: the next one (previewShown) reports its own
    state.build = [];
    state.missing = [];
    $("preview-state").textContent = "updating…";
    status.textContent = `built in ${result.ms} ms`;
    status.className = "";
    preview.show(result);
  } else {
    state.runtime = [];
    state.build = result.errors ?? [];
    state.missing = result.missing ?? [];
    const unique = uniqueProblems({ build: state.build, missing: state.missing });
    const count = unique.build.length + unique.missing.length;
    status.textContent = `build failed: ${count} problem${count === 1 ? "" : "s"} (${result.ms} ms)`;
    status.className = "bad";
    $("preview-state").textContent = preview.frame ? "showing the last good build" : "";
  }
  renderProblems();
  // Keystroke-to-preview is measured when the new frame is on screen (previewShown), not when the build ends.
  editTimeOfResult.set(result, editTimes.get(result.id));
  for (const id of editTimes.keys()) if (id <= result.id) editTimes.delete(id);
};

function previewShown(result, errors, logs) {
  mark("preview");
  if (!result.published) mark("live");
  state.runtime = [...errors];
  consolePanel.replace(logs);
  $("preview-state").textContent = errors.length ? "runtime error" : "";
  renderProblems();
  const editedAt = editTimeOfResult.get(result);
  if (editedAt !== undefined) {
    const ms = Math.round(performance.now() - editedAt);
    latencies.push(ms);
    $("status-build").textContent += ` · preview ${ms} ms after the edit`;
  }
}

// ---- versions -------------------------------------------------------------------------------------------------------

async function takenVersions(thread) {
  const local = db ? await db.versions(thread) : [];
  const remote = (state.remote[thread] ?? []).map((item) => item.version);
  return [...(state.published[thread] ?? []), ...local.map((item) => item.version), ...remote];
}

/** The thread's versions in the Convex store (kept in state.remote); [] when they cannot be listed now. */
async function remoteVersions(thread) {
  if (!store || !format.isId(thread)) return [];
  try {
    state.remote[thread] = await store.versions(thread);
  } catch (error) {
    $("status-store").textContent = `Convex: ${describeError(error).text}`;
  }
  return state.remote[thread] ?? [];
}

async function refreshVersions() {
  const select = $("versions");
  const thread = state.thread;
  const local = db ? await db.versions(thread) : [];
  const published = state.published[thread] ?? [];
  const remote = await remoteVersions(thread);
  if (thread !== state.thread) return; // another thread was opened meanwhile: its own refresh lists it
  const option = (value, text) => Object.assign(document.createElement("option"), { value, textContent: text });
  const groups = [];
  if (remote.length) {
    const group = Object.assign(document.createElement("optgroup"), { label: "Saved in Convex" });
    // The author in the tooltip: a long name would widen the select, and with it the toolbar.
    group.append(...remote.map((item) => Object.assign(option(`convex:${item.version}`,
      `${item.version} · ${item.created}`), { title: item.authorName ? `saved by ${item.authorName}` : "" })));
    groups.push(group);
  }
  if (local.length) {
    const group = Object.assign(document.createElement("optgroup"), { label: "Saved in this browser" });
    group.append(...local.map((item) => option(`local:${item.version}`, `${item.version} · ${item.created}`)));
    groups.push(group);
  }
  if (published.length) {
    const group = Object.assign(document.createElement("optgroup"), { label: "Published on this site" });
    group.append(...published.map((version) => option(`site:${version}`, version)));
    groups.push(group);
  }
  select.replaceChildren(option("", `${local.length + published.length + remote.length} version(s)`), ...groups);
}

async function fetchVersion(thread, version, where = null) {
  const onSite = (state.published[thread] ?? []).includes(version);
  if (where === "local" || (where === null && !onSite)) {
    const local = db ? await db.version(thread, version) : null;
    if (local) return local;
  }
  if (store && (where === "convex" || (where === null && !onSite))) {
    const saved = await store.get(thread, version, format).catch((error) => {
      throw new Error(`${thread}/${version} did not open from Convex: ${describeError(error).text}`);
    });
    if (saved) return saved;
    if (where === "convex") throw new Error(`${thread}/${version} is not in the Convex store (or not yours to see)`);
  }
  const url = new URL("source.json", versionFolder(thread, version));
  const mine = early?.source && early.thread === thread && early.version === version;
  const asked = mine ? early.source : fetch(url).catch(() => null);
  if (mine) early.source = null; // a response is read once
  const response = await asked;
  if (!response?.ok) {
    // Published without a source.json (an image is not text): the Convex store the nightly build read has it.
    const saved = store && onSite ? await store.get(thread, version, format).catch(() => null) : null;
    if (saved) return saved;
    const published = await fetch(new URL("meta.json", url)).then((r) => r.ok, () => false);
    throw new Error(published
      ? `${thread}/${version} is published without its source (it has files that are not text, or it was ` +
        "published before sources were), so it cannot be opened here; open its share link instead"
      : `${thread}/${version} is neither saved in this browser nor published on this site`);
  }
  return format.checkSnapshot(await response.json());
}

async function openVersion(thread, version, where = null) {
  try {
    load(await fetchVersion(thread, version, where));
    setUrl();
    await saveDraft();
  } catch (error) {
    notice.show(error.message, { kind: "error" });
  }
}

// ---- toolbar --------------------------------------------------------------------------------------------------------------

/** What the toolbar's actions (actions.js) get of the page. */
const editor = {
  state,
  notice,
  api,
  field: $,
  get db() {
    return db;
  },
  get format() {
    return format;
  },
  snapshot,
  takenVersions,
  load,
  renderFields,
  setUrl,
  saveDraft,
  refreshVersions,
  get store() {
    return store;
  },
  contentType,
  binaryPaths,
  showSaveProblems(list) {
    state.saveProblems = list;
    renderProblems();
  },
};

/** Once the recipe has loaded: every action needs the site's snapshot rules. */
function wireToolbar() {
  $("title").addEventListener("input", () => {
    state.title = $("title").value;
    changed();
  });
  $("thread").addEventListener("change", async () => {
    const thread = $("thread").value.trim();
    if (!format.isId(thread)) {
      notice.show(`The thread id must match ${format.idRule}.`, { kind: "error" });
      $("thread").value = state.thread;
      return;
    }
    state.thread = thread;
    state.version = nextVersion(await takenVersions(thread));
    changed();
    setUrl({ version: false });
    refreshVersions();
  });
  $("save").addEventListener("click", () => actions.saveVersion(editor));
  $("new").addEventListener("change", () => {
    const name = $("new").value;
    $("new").value = "";
    if (name) startNew(name);
  });
  $("fork").addEventListener("click", () => actions.fork(editor));
  $("export").addEventListener("click", () => actions.exportSnapshot(editor));
  $("import").addEventListener("click", () => $("import-file").click());
  $("import-file").addEventListener("change", () => {
    const file = $("import-file").files[0];
    $("import-file").value = "";
    if (file) actions.importFile(editor, file);
  });
  $("share").addEventListener("click", () => actions.share(editor));
  $("versions").addEventListener("change", () => {
    const [where, version] = $("versions").value.split(":");
    $("versions").value = "";
    if (version) openVersion(state.thread, version, ["site", "convex"].includes(where) ? where : "local");
  });
}

/** The preview pane's buttons and the keyboard shortcuts (ui/shortcuts.js lists them in its dialog). */
function wireCommands() {
  const rebuild = () => {
    lastEdit = null;
    requestBuild(0);
  };
  $("preview-reload").addEventListener("click", () => preview.reload());
  $("preview-open").addEventListener("click", async () => {
    if (!(await openInNewTab(preview, document.title))) notice.show("There is no preview to open yet.");
  });
  wireShortcuts($("shortcuts-dialog"), $("shortcuts"), {
    save: async () => {
      if (await saveDraft()) $("status-save").textContent = "draft saved in this browser · Save version makes a version";
    },
    rebuild,
    search: () => code.search(),
  });
}

// ---- the Convex store (editor.store: {type: convex}) ---------------------------------------------------------

function isBinary(path) {
  return state.files[path] instanceof Uint8Array;
}

function binaryPaths() {
  return Object.keys(state.files).filter(isBinary);
}

/** A binary file's media type, by extension, from the site build's own table (recipe.mime_types). */
function contentType(path) {
  const dot = path.lastIndexOf(".");
  return (dot >= 0 && mimeTypes[path.slice(dot).toLowerCase()]) || "application/octet-stream";
}
let mimeTypes = {};

/** The sign-in button and the "add a binary file" button; who is signed in in the status bar. */
function startStore(settings) {
  store = new ConvexStore(settings, location.href);
  // In the status bar, which has room (the toolbar wraps on a laptop once the version list holds a date).
  const signIn = Object.assign(document.createElement("button"), { type: "button", id: "sign-in",
    className: "small", textContent: "Sign in", title: `Sign in to save to Convex (${settings.url})` });
  signIn.addEventListener("click", () => showIdentity({ asked: true }));
  const status = Object.assign(document.createElement("span"), { id: "status-store", className: "muted" });
  $("status-save").after(status, signIn);
  const add = Object.assign(document.createElement("button"),
    { type: "button", id: "add-binary", className: "small", textContent: "+ image", title: "Add an image or other binary file" });
  const input = Object.assign(document.createElement("input"), { type: "file", id: "add-binary-file", hidden: true });
  $("add-file").after(add, input);
  add.addEventListener("click", () => input.click());
  input.addEventListener("change", async () => {
    const file = input.files[0];
    input.value = "";
    if (file) addBinary(file.name, new Uint8Array(await file.arrayBuffer()));
  });
  showIdentity({ asked: false });
}

async function showIdentity({ asked }) {
  try {
    const identity = await store.identity();
    $("sign-in").textContent = identity ? identity.name : "Sign in";
    $("sign-in").title = identity ? `Signed in to Convex as ${identity.name}` : `Sign in to save to Convex (${store.url})`;
    $("status-store").textContent = identity ? "saving to Convex as" : "Convex: not signed in"; // the button: who
    window.hybridEditor.identity = identity;
    if (!identity && asked) {
      if (store.loginUrl) location.assign(store.loginUrl);
      else notice.show("Nobody is signed in on this site: sign in with the site, then press Sign in again.",
        { kind: "error" });
    }
  } catch (error) {
    $("status-store").textContent = `Convex: ${error.message}`;
    if (asked) notice.show(`Cannot sign in: ${error.message}`, { kind: "error" });
  }
}

function addBinary(name, bytes) {
  const path = name.replace(/[\\/]/g, "_");
  if (path in state.files && !isBinary(path) && !confirm(`Replace the text file ${path}?`)) return;
  code.forget(path);
  state.files[path] = bytes;
  changed({ rerender: true });
  notice.show(`Added ${path} (${bytes.length} bytes): import it from the code (e.g. import url from "./${path}").`);
}

// ---- starting -----------------------------------------------------------------------------------------------------------------

/** The site build's recipe: its snapshot rules and the published threads; false (and said) if it did not load. */
async function loadRecipe() {
  try {
    const response = await fetch(new URL(config.recipe, location.href));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const recipe = await response.json();
    format = new SnapshotFormat(recipe.snapshot);
    siteRoot = recipe.site_root ?? null;
    state.published = recipe.threads ?? {};
    state.starters = recipe.starters ?? [];
    if (recipe.store?.type === "convex") startStore(recipe.store);
    mimeTypes = recipe.mime_types ?? {};
    preview.useHost(recipe.preview_host ?? null); // deploy.artifacts: r2: the preview runs on the artifact origin
    for (const { name, title } of state.starters) {
      const option = new Option(name, name);
      option.title = title;
      $("new").append(option);
    }
    return true;
  } catch (error) {
    notice.show(`The editor cannot open anything: its build recipe did not load (${error.message}).`,
      { kind: "error" });
    return false;
  }
}

/** A new thread's first version from one of the recipe's starters (those of `mkdocs-hybrid new`). */
function starter(thread = randomThreadId("draft"), name = state.starters[0]?.name) {
  const chosen = state.starters.find((item) => item.name === name) ?? state.starters[0];
  // A draft record: its dependencies are its package.json, as the editor shows them.
  const files = editableFiles({ files: chosen.files, dependencies: chosen.dependencies });
  return { thread, version: "v1", title: chosen.title, entry: null, files };
}

async function startNew(name) {
  load(starter(randomThreadId(name), name), { dirty: true });
  setUrl({ version: false });
  await saveDraft();
  refreshVersions();
  notice.show(`A new thread, ${state.thread}, from the ${name} template: Save version makes its v1.`);
}

function differs(draft, saved) {
  const shape = (data) => {
    const files = data.format ? editableFiles(data) : data.files;
    const made = format.makeSnapshot({ ...data, files, version: "x", created: "x" });
    return JSON.stringify([made.files, made.dependencies, made.title, made.entry]);
  };
  return shape(draft) !== shape(saved);
}

async function openFromUrl() {
  const params = new URLSearchParams(location.search);
  const thread = params.get("thread");
  const version = params.get("version");
  if (location.hash.startsWith("#s=")) {
    try {
      const shared = await readShareHash(location.hash, format);
      load(shared, { dirty: true });
      setUrl({ version: false });
      await saveDraft();
      notice.show(`Opened a shared link: ${shared.thread}/${shared.version}. Save version keeps it.`);
      return;
    } catch (error) {
      notice.show(error.message, { kind: "error" });
    }
  }
  if (thread && format.idPattern.test(thread)) {
    const draft = db ? await db.draft(thread) : null;
    if (version) {
      let saved = null;
      // Published and not saved elsewhere under the same id: fetchVersion reads the site's source.json, and
      // the share link's files can load meanwhile (showPublished keeps them only if that is what opens).
      const onSite = (state.published[thread] ?? []).includes(version);
      const loading = onSite && previewStep ? publishedResult(thread, version) : null;
      try {
        saved = await fetchVersion(thread, version);
      } catch (error) {
        if (!draft) notice.show(error.message, { kind: "error" });
      }
      if (draft && draft.base === version && draft.dirty && (!saved || differs(draft, saved))) {
        load(draft, { dirty: true });
        notice.show(`Restored your unsaved changes to ${thread}/${version}.`,
          { action: saved ? { text: `Open ${version} as saved`, run: () => openVersion(thread, version) } : null });
        return;
      }
      if (saved) {
        load(saved);
        if (loading) {
          showingPublished = true;
          showPublished(loading);
        }
        return;
      }
    } else if (draft) {
      load(draft, { dirty: draft.dirty });
      return;
    } else {
      load(starter(thread), { dirty: true });
      return;
    }
  }
  const last = db ? await db.lastDraft() : null;
  if (last) load(last, { dirty: last.dirty });
  else load(starter(), { dirty: true });
  setUrl({ version: !state.dirty });
}

async function start() {
  $("status-esbuild").textContent = `esbuild ${config.esbuild}`;
  const recipeLoaded = loadRecipe(); // meanwhile IndexedDB opens: neither needs the other
  try {
    db = await Store.open();
  } catch (error) {
    notice.show(`This browser keeps no drafts here (IndexedDB: ${error.message}); Export to keep your work.`,
      { kind: "error" });
  }
  wireCommands();
  if (await recipeLoaded) {
    wireToolbar();
    await openFromUrl();
  }
  if (!showingPublished) openGate();
  try {
    const { esbuild, timings } = await builder.ready;
    mark("ready");
    // The worker's milestones on this page's clock (each global has its own time origin).
    for (const [name, at] of Object.entries(timings)) {
      if (name !== "origin") marks[`worker.${name}`] = at + timings.origin - performance.timeOrigin;
    }
    window.hybridEditor.ready = { esbuild, timings, at: performance.now() };
    $("status-esbuild").textContent = `esbuild-wasm ${esbuild}`;
  } catch (error) {
    $("status-build").textContent = "the build worker did not start";
    $("status-build").className = "bad";
    notice.show(error.message, { kind: "error" });
  }
}

addEventListener("pagehide", () => {
  if (state.dirty) saveDraft(); // best effort: the debounce may not have fired yet
});

start();
