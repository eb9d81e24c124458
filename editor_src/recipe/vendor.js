// Which published vendor file a version's code needs, and the shim packages that point at it:
// bundle/vendor.py (requested_specifiers, write_shims) and bundle/dependencies.py (pins), in the browser.

export function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** vendor.requested_specifiers: the bare imports naming a declared package, plus React's JSX runtime. */
export function requestedSpecifiers(imports, directNames) {
  const names = new Set(directNames);
  const found = new Set(imports.filter((s) => names.has(packageName(s))));
  const escaping = [...found].sort().filter((s) => s.split("/").slice(1).some((p) => p === "." || p === ".."));
  if (escaping.length) {
    throw new Error(`import "${escaping[0]}" goes through a package folder to other files; ` +
      "import the package's own modules by name");
  }
  if (names.has("react")) found.add("react/jsx-runtime");
  return [...found].sort(pythonOrder);
}

/** Python's sort order for strings (by code point), which the build's lists follow. */
export function pythonOrder(a, b) {
  const x = [...a].map((c) => c.codePointAt(0));
  const y = [...b].map((c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const EXACT = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** dependencies.DependencyResolver.resolve, from the lock the build published: exact versions, or null
 * for each spec the lock does not know (only `mkdocs-hybrid serve` can ask npm). */
export function pinDependencies(specs, locked) {
  const direct = {};
  const unknown = [];
  for (const [name, spec] of Object.entries(specs || {})) {
    const bare = spec.replace(/^[=v]+/, "");
    if (EXACT.test(bare)) direct[name] = bare;
    else if (`${name}@${spec}` in locked) direct[name] = locked[`${name}@${spec}`];
    else unknown.push(`${name}@${spec}`);
  }
  return { direct, unknown };
}

/** The published set with exactly these pins, or undefined. */
export function findSet(sets, direct) {
  const wanted = JSON.stringify(Object.entries(direct).sort());
  return sets.find((set) => JSON.stringify(Object.entries(set.direct).sort()) === wanted);
}

/** vendor.write_shims: one tiny CommonJS module per specifier, as (path under node_modules, contents). */
export function shimFiles(specifiers, vendorGlobal) {
  const files = [];
  for (const specifier of specifiers) {
    const name = packageName(specifier);
    const subpath = specifier.slice(name.length).replace(/^\/+/, "");
    files.push([`${name}/package.json`, JSON.stringify({ name, main: "index.js" }).replace(/","/g, '", "')
      .replace(/":"/g, '": "') + "\n"]);
    const target = /\.(js|cjs|mjs)$/.test(subpath) ? subpath : `${subpath || "index"}.js`;
    files.push([`${name}/${target}`, `module.exports = globalThis.${vendorGlobal}[${JSON.stringify(specifier)}];\n`]);
  }
  return files;
}
