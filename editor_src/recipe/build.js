// One version's build in the browser: the same steps, layout and flags as bundle/bundler.py and
// publish/artifacts.py, so the bytes are the share link's. `esbuild` is the initialized esbuild-wasm module,
// `fs` the MemFS it reads, `recipe` the build's recipe.json, `packages` finds dependency sets.
import { optionsFromFlags } from "./flags.js";
import { HtmlEntryError, splitHtmlEntry } from "./html_entry.js";
import { fillPage } from "./page.js";
import { findSet, packageName, pinDependencies, requestedSpecifiers, shimFiles } from "./vendor.js";

const ROOT = "/b";
const PACKAGES = "/n";
const mounted = new Set();

/** A served set's files under /n/<key>/node_modules, once per session (their bytes are fetched when read). */
function mountPackages(fs, installed) {
  if (mounted.has(installed.key)) return;
  for (const [path, size, load] of installed.files) fs.put(`${PACKAGES}/${installed.key}/node_modules/${path}`, load, size);
  mounted.add(installed.key);
}

export class MissingPackages extends Error {
  constructor(missing) {
    super(missing.map((m) => m.message).join("; "));
    this.missing = missing;
  }
}

function relpath(path, base) {
  const from = base === "." ? [] : base.split("/");
  const to = path.split("/");
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  return [...from.slice(common).map(() => ".."), ...to.slice(common)].join("/");
}

/** Lay the snapshot out as bundler._write_snapshot does; returns the entry point (relative to ROOT). */
function layOut(fs, recipe, snapshot, page) {
  fs.clear(ROOT);
  fs.put(`${ROOT}/package.json`, "{}\n");
  const folder = `${ROOT}/${snapshot.thread}/${snapshot.version}`;
  for (const [name, data] of Object.entries(snapshot.files)) {
    if (!recipe.ignored_config_files.includes(name.split("/").pop())) fs.put(`${folder}/${name}`, data);
  }
  fs.put(`${folder}/tsconfig.json`, recipe.tsconfig);
  if (page === null) return `${snapshot.thread}/${snapshot.version}/${snapshot.entry}`;
  for (const [name, code] of Object.entries(page.inlineModules)) fs.put(`${folder}/${name}`, code);
  const base = snapshot.entry.includes("/") ? snapshot.entry.slice(0, snapshot.entry.lastIndexOf("/")) : ".";
  const lines = page.imports.map((path) => `import ${JSON.stringify("./" + relpath(path, base))};`);
  const entry = `${base === "." ? "" : base + "/"}${recipe.entry_name}`;
  fs.put(`${folder}/${entry}`, lines.join("\n") + "\n");
  return `${snapshot.thread}/${snapshot.version}/${entry}`;
}

/** The metafile's inputs reachable from `entry` (confinement.reachable_imports). */
function* reachableImports(metafile, entry) {
  const seen = new Set([entry]);
  const stack = [entry];
  while (stack.length) {
    const path = stack.pop();
    for (const edge of metafile.inputs[path]?.imports || []) {
      yield edge;
      if (!edge.external && !seen.has(edge.path)) {
        seen.add(edge.path);
        stack.push(edge.path);
      }
    }
  }
}

/** bundler._bare_imports: the bare specifiers the entry's code reaches, as esbuild resolved them. */
function bareImports(metafile, entry) {
  const found = new Set();
  for (const edge of reachableImports(metafile, entry)) {
    const specifier = edge.path;
    if (edge.external && edge.kind !== "url-token" && typeof specifier === "string" &&
        !/^[./#]/.test(specifier) && !specifier.includes(":")) found.add(specifier);
  }
  return [...found];
}

async function esbuildRun(esbuild, entry, options, nodePaths) {
  return esbuild.build({
    ...options, entryPoints: [entry], absWorkingDir: ROOT, nodePaths, outdir: "out", outbase: ".",
    metafile: true, write: false, logLevel: "silent", logLimit: 0,
  });
}

/** Mount the dependency set's files: shims for the vendor file's modules, the packages when served. */
async function mountDependencies(fs, recipe, snapshot, imports, packages) {
  const shims = `${ROOT}/${recipe.shims_folder}`;
  fs.clear(shims.slice(0, shims.lastIndexOf("/")));
  const { direct, unknown } = pinDependencies(snapshot.dependencies, recipe.locked);
  if (Object.keys(direct).length === 0 && unknown.length === 0) return { vendor: null, nodePaths: [] };
  const requested = requestedSpecifiers(imports, Object.keys(snapshot.dependencies || {}));
  const found = unknown.length ? undefined : findSet(recipe.sets, direct);
  let vendor = found?.vendors.find((v) => JSON.stringify(v.requested) === JSON.stringify(requested));
  let installed = null;
  if (packages) {
    // Under `mkdocs-hybrid serve`, the installed set itself: CSS or JSON from a package resolve as natively.
    installed = await packages.install(snapshot.dependencies, imports, requested);
    vendor = installed.vendor;
    mountPackages(fs, installed);
  } else if (!found || (requested.length && !vendor) || recipe.vendor === false) {
    throw new MissingPackages(missingReport(snapshot, found, unknown, requested));
  }
  const modules = vendor && recipe.vendor !== false ? vendor.modules : [];
  for (const [path, contents] of shimFiles(modules, recipe.vendor_global)) fs.put(`${shims}/${path}`, contents);
  const nodePaths = [...(modules.length ? [shims] : []), ...(installed ? [`${PACKAGES}/${installed.key}/node_modules`] : [])];
  return { vendor: modules.length ? vendor.path : null, nodePaths };
}

function missingReport(snapshot, set, unknown, requested) {
  const how = "run `mkdocs-hybrid serve` to install it, or use the versions a published demo uses";
  if (unknown.length) {
    return unknown.map((spec) => ({ package: spec.slice(0, spec.lastIndexOf("@")) || spec, specifier: spec,
      message: `${spec} is not pinned by this site's build (no published version uses it); ${how}` }));
  }
  const names = Object.keys(snapshot.dependencies).sort();
  if (!set) {
    return [{ package: names.join(", "), specifier: names.join(", "),
      message: `the dependency set ${names.map((n) => `${n}@${snapshot.dependencies[n]}`).join(", ")} is not ` +
        `published on this site; ${how}` }];
  }
  return [{ package: requested.join(", "), specifier: requested.join(", "),
    message: `no published vendor file provides exactly ${requested.join(", ")}; ${how}` }];
}

/** esbuild's messages as {file, line, column, text}, file relative to the snapshot, 1-based column. */
function located(messages, snapshot) {
  const prefix = `${snapshot.thread}/${snapshot.version}/`;
  return messages.map((m) => {
    const file = m.location?.file || "";
    const own = file.startsWith(prefix);
    return {
      file: own ? file.slice(prefix.length) : (file || null),
      line: m.location ? m.location.line : null,
      column: m.location ? m.location.column + 1 : null,
      text: m.text,
    };
  });
}

/** What to do about a declared package's file that a static site cannot give (CSS, JSON, fonts: the vendor
 * file holds JavaScript modules only; the native build reads the rest from the installed package). */
function withHint(error, snapshot, packages) {
  const match = /^Could not resolve "([^"]+)"/.exec(error.text);
  if (!match || /^[./]/.test(match[1])) return error;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(match[1])) {  // file:, node:, ...: never a package to declare
    return { ...error, text: `${error.text} (only the snapshot's own files and packages from the npm registry can be imported)` };
  }
  const name = packageName(match[1]);
  if (!(name in (snapshot.dependencies || {}))) {
    return { ...error, text: `${error.text} (add "${name}" to the dependencies in package.json)` };
  }
  // Under serve a declared package is read whole: esbuild's own words say what is wrong with it.
  if (packages) return error;
  return { ...error, text: `${error.text} ("${name}" is declared, but this static site only has its JavaScript ` +
    "modules that published demos use: run `mkdocs-hybrid serve` to read the whole package)" };
}

const lastImports = new Map();

/** Before a version's first build: what the one vendor file published for its dependency set was asked for
 * (a published version most likely imports exactly that). Checked like any guess, so a wrong one costs only
 * the scan it would have saved. */
function publishedGuess(recipe, snapshot) {
  const { direct, unknown } = pinDependencies(snapshot.dependencies, recipe.locked);
  const set = unknown.length ? undefined : findSet(recipe.sets, direct);
  return set?.vendors.length === 1 ? set.vendors[0].requested : undefined;
}

async function buildWith(esbuild, fs, recipe, snapshot, entry, options, imports, packages) {
  const deps = await mountDependencies(fs, recipe, snapshot, imports, packages);
  return { result: await esbuildRun(esbuild, entry, options, deps.nodePaths), deps };
}

function sameSet(a, b) {
  return a.length === b.length && a.every((item) => b.includes(item));
}

/** The bare imports the snapshot's own files make in a full build: what the scan (packages external) finds,
 * read from the edges that leave the snapshot's folder. */
function bareImportsOfBuild(metafile, entry, folder) {
  const found = new Set();
  const seen = new Set([entry]);
  const stack = [entry];
  while (stack.length) {
    for (const edge of metafile.inputs[stack.pop()]?.imports || []) {
      const written = edge.original ?? edge.path;
      if (edge.path.startsWith(folder)) {
        if (!seen.has(edge.path)) {
          seen.add(edge.path);
          stack.push(edge.path);
        }
      } else if (edge.kind !== "url-token" && !/^[./#]/.test(written) && !written.includes(":")) {
        found.add(written);
      }
    }
  }
  return [...found];
}

/** Build one snapshot: {ok: true, page, css, vendor} or {ok: false, errors, missing}. */
export async function buildSnapshot(esbuild, fs, recipe, snapshot, packages) {
  const isHtml = snapshot.entry.endsWith(".html");
  let page = null;
  try {
    if (isHtml) page = splitHtmlEntry(snapshot.files, snapshot.entry, recipe.mime_types, recipe.html_unescape);
  } catch (error) {
    if (!(error instanceof HtmlEntryError)) throw error;
    return { ok: false, errors: [{ file: snapshot.entry, line: null, column: null, text: error.message }], missing: [] };
  }
  const entry = layOut(fs, recipe, snapshot, page);
  const options = optionsFromFlags(recipe.flags);
  const folder = `${snapshot.thread}/${snapshot.version}/`;
  try {
    let built = null;
    const hasDependencies = Object.keys(snapshot.dependencies || {}).length > 0;
    const guessKey = JSON.stringify([entry, snapshot.dependencies]);
    const guess = hasDependencies ? lastImports.get(guessKey) ?? publishedGuess(recipe, snapshot) : undefined;
    if (guess) built = await buildWith(esbuild, fs, recipe, snapshot, entry, options, guess, packages).catch(() => null);
    if (built && sameSet(bareImportsOfBuild(built.result.metafile, entry, folder), guess)) {
      // The code imports what it imported last time: the one build made with that vendor file is the build.
    } else {
      let imports = [];
      if (hasDependencies) {
        const scan = await esbuildRun(esbuild, entry, { ...options, packages: "external" }, []);
        imports = bareImports(scan.metafile, entry);
        lastImports.set(guessKey, imports);
      }
      built = await buildWith(esbuild, fs, recipe, snapshot, entry, options, imports, packages);
    }
    const { result, deps } = built;
    const [jsPath, info] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === entry);
    const byPath = Object.fromEntries(result.outputFiles.map((f) => [f.path, f.text]));
    const js = byPath[`${ROOT}/${jsPath}`];
    const css = info.cssBundle ? byPath[`${ROOT}/${info.cssBundle}`] : "";
    const vendorSrc = deps.vendor ? recipe.site_root + deps.vendor : null;
    return { ok: true, page: fillPage(recipe, { title: snapshot.title || `${snapshot.thread} ${snapshot.version}`,
      js, css, vendorSrc, html: page }), css, vendor: deps.vendor };
  } catch (error) {
    if (error instanceof MissingPackages) {
      return { ok: false, errors: error.missing.map((m) => ({ file: null, line: null, column: null, text: m.message })),
        missing: error.missing };
    }
    if (error && Array.isArray(error.errors)) {
      return { ok: false, errors: located(error.errors, snapshot).map((e) => withHint(e, snapshot, packages)), missing: [] };
    }
    return { ok: false, errors: [{ file: null, line: null, column: null, text: String(error?.message || error) }], missing: [] };
  }
}
