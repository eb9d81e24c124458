// The live preview: the build's page.html in a sandboxed iframe, with exactly the changes listed in
// README.md ("The preview"). `allow-scripts` only: without `allow-same-origin` the demo runs in an opaque
// origin and cannot reach the editor's storage, cookies or DOM.

const SWAP_TIMEOUT_MS = 1500;
const STORAGE_NOTE = "Storage is blocked in this preview: it runs sandboxed, away from the site, so that a demo "
  + "cannot read the site's data, and that also blocks the demo's own localStorage and IndexedDB";
const STORAGE_HOW = " (as on this site's share links). Deploy with deploy.artifacts: r2 to run demos and this "
  + "preview on the artifact origin, with storage of their own.";
// A site whose demos are already on their own origin (the editor reads them from there) but no preview host here.
const STORAGE_HOW_R2 = ". Build the site with its URL (site_url in mkdocs.yml, or --site-url) and open the editor "
  + "there to run this preview on the demos' origin, with storage of their own.";

// Runs first in the preview's <head>: a demo's runtime errors and console lines surface in the editor, not
// only in the browser's console.
const REPORTER = `(() => {
  const post = (kind, message, stack, level) => {
    try {
      parent.postMessage({hybridPreview: {kind, message: String(message), stack: String(stack || ""),
        level: level || "error"}}, "*");
    } catch (error) {}
  };
  const text = (value) => value instanceof Error ? value.message : typeof value === "string" ? value
    : (() => { try { return JSON.stringify(value); } catch (error) { return String(value); } })();
  addEventListener("error", (event) => {
    if (event.target !== window && event.target && event.target.tagName) {
      post("error", "could not load " + (event.target.src || event.target.href || event.target.tagName));
    } else {
      // The browser hides the details of errors thrown inside the shared vendor file (another origin).
      const hidden = event.message === "Script error." && !event.error;
      post("error", hidden ? "an error inside a package (the browser hides its details here; the console of the "
        + "share link shows them)" : event.message || text(event.error), event.error && event.error.stack);
    }
  }, true);
  addEventListener("unhandledrejection", (event) => {
    post("error", "Unhandled rejection: " + text(event.reason), event.reason && event.reason.stack);
  });
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const original = console[level];
    console[level] = function (...args) {
      post("console", args.map(text).join(" "), "", level);
      return original.apply(this, args);
    };
  }
  // "ready" at load, once the page's mount point (the template's empty #root) has content: a framework
  // renders in a task of its own (React's scheduler), so that is waited for, a few tasks at most. Waiting for
  // an animation frame instead cost a frame of the demo's own drawing (60 ms for a canvas demo).
  const ready = (tries) => {
    const root = document.getElementById("root");
    if (root && !root.firstChild && tries > 0) setTimeout(() => ready(tries - 1), 0);
    else post("ready", "");
  };
  addEventListener("load", () => ready(20));
  // In the opaque-origin frame, storage throws a SecurityError (a demo usually catches it and goes quiet): the
  // editor is told, so it can say why once (Preview.storageBlocked). On the artifact origin nothing throws.
  const told = (call, name) => function (...args) {
    try { return call.apply(this, args); }
    catch (error) { if (error && error.name === "SecurityError") post("storage", name); throw error; }
  };
  for (const name of ["localStorage", "sessionStorage"]) {
    const found = Object.getOwnPropertyDescriptor(window, name);
    if (found && found.get && found.configurable) {
      Object.defineProperty(window, name, {...found, get: told(found.get, name)});
    }
  }
  if (typeof IDBFactory === "function") {
    for (const name of ["open", "deleteDatabase"]) {
      IDBFactory.prototype[name] = told(IDBFactory.prototype[name], "indexedDB");
    }
  }
})();`;

function base64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The preview document: the page bytes with the style link, the vendor script and the reporter changed.
 * `vendorSource` is the vendor file's URL for the frame: a data: URL of its bytes (see Preview.vendorSource). */
export function previewDocument(result, vendorSource) {
  let page = result.page;
  if (result.css !== undefined && result.css !== null) {
    // The page links its CSS as a sibling file; the preview has no sibling, so the CSS travels inline.
    page = page.replace('href="style.css"', () => `href="data:text/css;base64,${base64(result.css)}"`);
  }
  if (result.vendor) {
    // The page names the vendor file relative to artifacts/{t}/{v}/, which the preview is not in.
    page = page.replace(/(<script\b[^>]*\ssrc=")(?:\.\.\/)*vendor\/[^"]*(")/, (_, open, close) =>
      `${open}${vendorSource}${close}`);
  }
  const reporter = `<script>${REPORTER}</script>`;
  const head = /<head\b[^>]*>/i.exec(page);
  return head ? page.slice(0, head.index + head[0].length) + reporter + page.slice(head.index + head[0].length)
    : reporter + page;
}

/** Keeps the current preview on screen until the next one has rendered (no white flash between builds). */
export class Preview {
  constructor(container, { siteRoot, onRuntimeError = () => {}, onConsole = () => {}, onShown = () => {} }) {
    this.container = container;
    this.siteRoot = siteRoot;
    this.onRuntimeError = onRuntimeError;
    this.onConsole = onConsole;
    this.onShown = onShown;
    this.current = null;
    this.incoming = null;
    this.vendors = new Map();
    addEventListener("message", (event) => this.receive(event));
  }

  /** The vendor file as a data: URL, fetched once per session. A sandboxed frame has an opaque origin, so the
   * browser keeps no HTTP cache for it: by URL, every preview would download React again. Its bytes are the
   * published file's, so it runs as on the share link (and its errors are no longer hidden as cross-origin). */
  vendorSource(path) {
    if (!this.vendors.has(path)) {
      const loading = fetch(new URL(path, this.siteRoot)).then((response) => {
        if (!response.ok) throw new Error(`${path}: ${response.status}`);
        return response.text();
      }).then((code) => `data:text/javascript;base64,${base64(code)}`);
      loading.catch(() => this.vendors.delete(path));
      this.vendors.set(path, loading);
    }
    return this.vendors.get(path);
  }

  async show(result) {
    const vendor = result.vendor ? await this.vendorSource(result.vendor).catch(() => new URL(result.vendor,
      this.siteRoot).href) : null;
    this.render(result, vendor);
  }

  render(result, vendorSource) {
    if (this.incoming) this.incoming.frame.remove(); // a newer build replaces one still loading
    const frame = document.createElement("iframe");
    frame.setAttribute("sandbox", this.host ? this.host.sandbox : "allow-scripts");
    frame.setAttribute("title", "Preview");
    frame.className = "preview-frame loading";
    const incoming = { frame, result, errors: [], logs: [], shown: false };
    this.incoming = incoming;
    frame.addEventListener("load", () => {
      // Fallback when the reporter never says "ready" (a demo that blocks its event loop).
      setTimeout(() => this.swap(incoming), SWAP_TIMEOUT_MS);
    });
    if (this.host) this.hostDocument(frame, previewDocument(result, vendorSource));
    else frame.srcdoc = previewDocument(result, vendorSource);
    this.container.append(frame);
  }

  /** The recipe's preview host ({url, sandbox, site_origin}: deploy.artifacts: r2), or null for the opaque-origin
   * frame. The host takes documents from the site's origin only: an editor elsewhere (serve) keeps the frame. */
  useHost(host) {
    const here = host && host.site_origin === location.origin;
    this.host = here ? { ...host, origin: new URL(host.url).origin } : null;
  }

  /** On the artifact origin: the frame loads the preview host, which takes the document from the site's origin
   * only and writes it into itself, so the demo's storage is the artifact origin's (as on its share link). */
  hostDocument(frame, html) {
    frame.addEventListener("load", () => frame.contentWindow.postMessage({ hybridHost: html }, this.host.origin),
      { once: true });
    frame.src = this.host.url;
  }

  /** Said once, in the preview pane, the first time a demo's storage access fails (the reporter tells). */
  storageBlocked() {
    if (this.note) return;
    const r2 = new URL(this.siteRoot, location.href).origin !== location.origin;
    this.note = Object.assign(document.createElement("p"), { className: "notice preview-note", textContent:
      STORAGE_NOTE + (r2 ? STORAGE_HOW_R2 : STORAGE_HOW) });
    this.note.setAttribute("role", "status");
    this.note.style.cssText = "display: block; margin: 0; white-space: normal";
    this.container.before(this.note);
  }

  swap(incoming) {
    if (incoming.shown || this.incoming !== incoming) return;
    incoming.shown = true;
    this.incoming = null;
    if (this.current) this.current.frame.remove();
    this.current = incoming;
    incoming.frame.classList.remove("loading");
    this.onShown(incoming.result, incoming.errors, incoming.logs);
  }

  receive(event) {
    const message = event.data?.hybridPreview;
    if (!message) return;
    // Only our frames: any other window could post a look-alike message.
    const source = [this.current, this.incoming].find((item) => item && event.source === item.frame.contentWindow);
    if (!source) return;
    if (message.kind === "ready") {
      this.swap(source);
      return;
    }
    if (message.kind === "storage") {
      this.storageBlocked();
      return;
    }
    // Every line goes to the console panel; uncaught errors and console.error are problems too.
    const line = { level: message.kind === "console" ? message.level : "error", message: message.message };
    const error = message.kind === "console" && line.level !== "error" ? null
      : { kind: message.kind, message: message.message, stack: message.stack };
    source.logs.push(line);
    if (error) source.errors.push(error);
    // What a frame not yet shown reports is passed on when it is (onShown), so it matches what is on screen.
    if (source !== this.current) return;
    this.onConsole(line);
    if (error) this.onRuntimeError(error);
  }

  /** The frame running `shown` (on screen or still loading) now stands for `result`, a build of the same bytes
   * (main.js checks that): it keeps running, nothing reloads. False when no frame runs `shown`. */
  adopt(shown, result) {
    const frame = [this.current, this.incoming].find((item) => item && item.result === shown);
    if (frame) frame.result = result;
    return Boolean(frame);
  }

  /** Run the demo on screen again from its bytes (its state, timers and console start afresh). */
  reload() {
    if (this.current) this.show(this.current.result);
  }

  /** The frame on screen (tests and the status line read it). */
  get frame() {
    return this.current?.frame ?? null;
  }
}
