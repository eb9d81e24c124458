// The editor's build worker: esbuild-wasm (the site's pinned version) over an in-memory file system laid out
// as the native build lays out its folders (see README.md). Messages: {type: "init", recipeUrl, wasmUrl, api}
// -> {type: "ready", esbuild} | {type: "fatal", message}; {type: "build", id, snapshot} -> {type: "result", ...}.
import * as esbuild from "esbuild-wasm/esm/browser.js";
import { buildSnapshot } from "./recipe/build.js";
import { MemFS, processStub } from "./recipe/memfs.js";
import { ServedPackages } from "./recipe/served.js";

const fs = new MemFS();
let recipe = null;
let packages = null;

async function init({ recipeUrl, wasmUrl, api }) {
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
  const wasmModule = await WebAssembly.compileStreaming(fetch(wasmUrl));
  await esbuild.initialize({ wasmModule, worker: false });
  packages = api ? new ServedPackages(api, recipe) : null;
  return esbuild.version;
}

let queue = Promise.resolve();

self.onmessage = ({ data }) => {
  if (data.type === "init") {
    init(data).then((version) => postMessage({ type: "ready", esbuild: version }),
      (error) => postMessage({ type: "fatal", message: String(error?.message || error) }));
  } else if (data.type === "build") {
    // One build at a time: esbuild reads the one laid-out tree (the page's Builder keeps only the newest).
    queue = queue.then(async () => {
      const started = performance.now();
      const result = await buildSnapshot(esbuild, fs, recipe, data.snapshot, packages);
      postMessage({ type: "result", id: data.id, ms: Math.round(performance.now() - started), ...result });
    });
  }
};
