// Compile a Convex functions folder (convex/**/*.ts, _generated included) with the project's esbuild into a temporary
// folder, and build the `modules` map convex-test wants: {"./convex/versions.ts": () => import(".../versions.js")}.
//
// "convex" and its subpaths stay external and are pinned to the very files convex-test itself imports, so the
// compiled functions and the mock backend share one copy of convex/server and convex/values (ConvexError, the
// function registry, the syscall global).
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

// The files `npx convex deploy` bundles (convex/dist/esm/bundler/index.js, entryPoints): a JS/TS file whose name
// has one dot, is no dotfile or editor temp file and has no space; so *.test.ts, *.d.ts, auth.config.ts and
// vitest.config.mts are left out. Plus what convex-test needs on top: schema.ts and _generated/.
function isModule(name) {
  return SOURCE.test(name) && (name.match(/\./g) || []).length === 1 && !/^[.#]/.test(name) && !name.includes(" ");
}

/** Every function module under `dir` (and schema, _generated), as paths relative to it. */
export function functionFiles(dir) {
  const found = [];
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (isModule(entry.name)) found.push(relative(dir, path));
    }
  };
  walk(dir);
  return found.sort();
}

const pinConvex = {
  name: "pin-convex",
  setup(build) {
    build.onResolve({ filter: /^convex(\/.*)?$/ }, (args) => ({
      path: fileURLToPath(import.meta.resolve(args.path)),
      external: true,
    }));
  },
};

/**
 * Compile `dir` and return {modules, schema, cleanup}. Throws with esbuild's messages when a file does not compile.
 */
export async function compileFunctions(dir) {
  const files = functionFiles(dir);
  if (!files.some((file) => file.split(sep)[0] === "_generated")) {
    throw new Error(`${dir} has no _generated/ folder: convex-test needs _generated/api.js and server.js`);
  }
  const outdir = mkdtempSync(join(tmpdir(), "convex-standin-"));
  try {
    await esbuild.build({
      entryPoints: files.map((file) => join(dir, file)),
      outbase: dir,
      outdir,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      outExtension: { ".js": ".mjs" },
      sourcemap: "inline",
      plugins: [pinConvex],
      logLevel: "silent",
    });
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    const messages = (error.errors ?? []).map((e) => `${e.location?.file ?? ""}:${e.location?.line ?? ""}: ${e.text}`);
    throw new Error(`cannot compile the Convex functions in ${dir}: ${messages.join("; ") || error.message}`);
  }
  const modules = {};
  for (const file of files) {
    const compiled = join(outdir, file.replace(SOURCE, ".mjs"));
    const key = "./convex/" + file.split(sep).join("/");
    modules[key] = () => import(pathToFileURL(compiled).href);
  }
  const cleanup = () => rmSync(outdir, { recursive: true, force: true });
  const schemaKey = Object.keys(modules).find((key) => /^\.\/convex\/schema\.[^/]+$/.test(key));
  try {
    const schema = schemaKey === undefined ? undefined : (await modules[schemaKey]()).default;
    return { modules, schema, cleanup };
  } catch (error) {
    cleanup();
    throw new Error(`cannot load ${join(dir, "schema.ts")}: ${error.message}`);
  }
}
