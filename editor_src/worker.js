// The editor's build worker: esbuild-wasm (the site's pinned version) over an in-memory file system laid out
// as the native build lays out its folders (see README.md). Messages: {type: "init", recipeUrl, wasmUrl, api}
// -> {type: "ready", esbuild} | {type: "fatal", message}; {type: "build", id, snapshot} -> {type: "result", ...};
// {type: "warm"} runs the warm-up bundle (in turn with builds), for an "init" with warm: false.
import * as esbuild from "esbuild-wasm/esm/browser.js";
import { buildSnapshot } from "./recipe/build.js";
import { optionsFromFlags } from "./recipe/flags.js";
import { MemFS, processStub } from "./recipe/memfs.js";
import { ServedPackages } from "./recipe/served.js";

const fs = new MemFS();
let recipe = null;
let packages = null;

const timings = {};
let compiling = null; // {url, module}: the .wasm's compile

/** The compiled esbuild.wasm at `url` (streaming: it compiles while it downloads), started once. */
function compile(url) {
  if (compiling?.url !== url) {
    const module = WebAssembly.compileStreaming(fetch(url));
    module.catch(() => {}); // a failure is reported where it is awaited
    compiling = { url, module };
  }
  return compiling.module;
}

async function init({ recipeUrl, wasmUrl, api, warm = true }) {
  // Milestones in ms on this worker's clock; `origin` converts them to the page's (its timeOrigin differs).
  timings.origin = performance.timeOrigin;
  const started = performance.now();
  timings.started = started;
  const wasm = compile(wasmUrl); // meanwhile, the recipe
  const response = await fetch(recipeUrl);
  if (!response.ok) throw new Error(`cannot load the build recipe (${response.status} ${recipeUrl})`);
  recipe = await response.json();
  if (esbuild.version !== recipe.esbuild) {
    throw new Error(`this editor has esbuild-wasm ${esbuild.version} but the site was built with esbuild ` +
      `${recipe.esbuild}: its previews would not be the share links' bytes; rebuild the site`);
  }
  // Go's runtime looks these up on the global object when esbuild starts (worker: false runs it here).
  self.fs = fs.nodeFS();
  self.process = processStub("/b");
  const wasmModule = await wasm;
  timings.compiled = performance.now();
  await esbuild.initialize({ wasmModule, worker: false });
  timings.initialized = performance.now();
  // Even with a build already waiting: the warm-up and then the build (5.0-7.3 s, load average 18) ended before
  // the same build run cold (5.5-7.2 s): wasm runs slowly until the engine has optimized it, and a large first
  // input pays that longest. benchmarks/editor.py's floor builds nothing, so it skips the warm-up.
  if (warm) await warmUp();
  timings.warm = performance.now();
  packages = api ? new ServedPackages(api, recipe) : null;
  return esbuild.version;
}

/** One small bundle through every stage (resolver, TSX and CSS parsers, linker, minifier) while the page is
 * still starting: wasm code runs slowly until the engine has optimized it, and a first real build paid that
 * (over a second on a loaded machine); here it overlaps the editor's own start. */
async function warmUp() {
  const files = {
    "/w/package.json": "{}\n",
    "/w/app/index.tsx": 'import "./style.css";\nimport { label } from "./label";\n' +
      "type Props = { n: number };\nconst Item = ({ n }: Props) => <li className=\"item\">{label(n)}</li>;\n" +
      "export const list = [1, 2, 3].map((n) => <Item key={n} n={n} />);\nconsole.log(list);\n",
    "/w/app/label.ts": "export function label(n: number): string {\n  return `item ${n}`.toUpperCase();\n}\n",
    "/w/app/style.css": ".item { color: rgb(10 20 30); margin: 0 auto; }\n.item:hover { color: red; }\n",
  };
  for (const [path, text] of Object.entries(files)) fs.put(path, text);
  try {
    await esbuild.build({ ...optionsFromFlags(recipe.flags), entryPoints: ["app/index.tsx"], absWorkingDir: "/w",
      outdir: "out", write: false, logLevel: "silent", jsx: "transform" });
  } catch {
    // only a warm-up: a real build reports its own errors
  }
  fs.clear("/w");
}

// Builds may be sent before "ready" (the page asks for its first one as soon as it has a snapshot): they
// wait for the start, then run one at a time. After a failed start ("fatal", said once) nothing runs.
let queue = null;

function enqueue(job) {
  queue = queue.then(job);
  queue.catch(() => {}); // a failed start is reported by "fatal", not once more per job
}

self.onmessage = ({ data }) => {
  if (data.type === "warm") {
    enqueue(warmUp); // builder.js: "init" with warm: false, then this once the page lets it
  } else if (data.type === "init") {
    queue = init(data);
    queue.then((version) => postMessage({ type: "ready", esbuild: version, timings }),
      (error) => postMessage({ type: "fatal", message: String(error?.message || error) }));
  } else if (data.type === "build") {
    // One build at a time: esbuild reads the one laid-out tree (the page's Builder keeps only the newest).
    enqueue(async () => {
      const started = performance.now();
      const result = await buildSnapshot(esbuild, fs, recipe, data.snapshot, packages);
      postMessage({ type: "result", id: data.id, ms: Math.round(performance.now() - started), ...result });
    });
  }
};
