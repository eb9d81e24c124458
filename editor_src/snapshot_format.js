// The snapshot JSON format (export, import, the published source.json files, share links), checked by the
// site build's own rules: recipe.json's "snapshot" section (the format name, the id pattern and the reserved
// ids, the entry candidates in their order, the keys a snapshot file may have) is written from the Python
// validator's constants (mkdocs_hybrid/editor/recipe.py, snapshot_rules), so the editor holds no copy.

/** The rules of one site build, from `recipe.snapshot`. */
export class SnapshotFormat {
  constructor(rules) {
    if (!rules || typeof rules.format !== "string" || typeof rules.id_pattern !== "string") {
      throw new Error("the build recipe has no snapshot rules: rebuild the site");
    }
    this.format = rules.format;
    this.idRule = rules.id_pattern;
    this.idPattern = new RegExp(`^(?:${rules.id_pattern})$`); // Python's re.fullmatch
    this.reserved = new Set(rules.reserved_ids);
    this.entryCandidates = [...rules.entry_candidates];
    this.keys = new Set(rules.keys);
  }

  /** A thread or version id the site build takes: the pattern, and not a reserved id (`latest`). */
  isId(value) {
    return typeof value === "string" && this.idPattern.test(value) && !this.reserved.has(value);
  }

  /** The entry the site build would pick: the first candidate present. */
  detectEntry(paths) {
    const names = new Set(paths);
    return this.entryCandidates.find((candidate) => names.has(candidate)) ?? null;
  }

  /**
   * A snapshot JSON object, keys in the documented order; `files` sorted by path (stable exports). The draft's
   * `package.json` becomes `dependencies` and is not a file of the snapshot, as in a directory source, where
   * the site build reads it as metadata: both builds then see the same files.
   */
  makeSnapshot({ thread, version, title, entry, created, files }) {
    const paths = Object.keys(files).filter((path) => path !== "package.json").sort();
    const sorted = Object.fromEntries(paths.map((path) => [path, files[path]]));
    return {
      format: this.format,
      thread,
      version,
      title: title || null,
      entry: entry && entry in sorted ? entry : this.detectEntry(paths),
      created: created || now(),
      files: sorted,
      dependencies: dependenciesOf(files),
    };
  }

  /** Check a parsed snapshot JSON as the site build does, with a message a person can act on. */
  checkSnapshot(data) {
    if (!data || typeof data !== "object" || data.format !== this.format) {
      throw new Error(`not a snapshot file: "format" must be "${this.format}"`);
    }
    const reserved = [...this.reserved].map((id) => JSON.stringify(id)).join(" or ");
    for (const key of ["thread", "version"]) {
      if (!this.isId(data[key])) throw new Error(`"${key}" must match ${this.idRule} (and not be ${reserved})`);
    }
    const unknown = Object.keys(data).filter((key) => !this.keys.has(key));
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

  parseSnapshot(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new Error(`invalid JSON: ${error.message}`);
    }
    return this.checkSnapshot(data);
  }
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

/** The files to edit: a snapshot's `dependencies` are shown as the `package.json` they came from. */
export function editableFiles(snapshot) {
  const files = { ...snapshot.files };
  const dependencies = snapshot.dependencies ?? {};
  if (!("package.json" in files) && Object.keys(dependencies).length) {
    files["package.json"] = JSON.stringify({ dependencies }, null, 2) + "\n";
  }
  return files;
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

/** A new thread id: `base` and eight random hex digits (a draft's, or a fork's). */
export function randomThreadId(base) {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `${base}-${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
