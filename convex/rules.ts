// The snapshot validator of the Convex functions: the same rules as the Python validator
// (mkdocs_hybrid/sources/snapshot_json.py, model/snapshot.py, bundle/npm_spec.py), driven by rules.json,
// which Python writes from its own constants (python -m mkdocs_hybrid.sources.convex_rules). Nothing here
// restates a limit, an id pattern or a regex: only the algorithms that apply them (node-semver's loose
// range parsing and npm-package-arg's classification, as npm_spec.py ports them). conformance.json holds
// Python's verdict on hundreds of good and hostile cases; rules.test.ts replays them all through this file.
import RULES from "./rules.json";

export { RULES };

export type SnapshotFile = { path: string; text?: string; size?: number };
export type Dependency = { name: string; spec: string };
export type Limits = { maxFiles: number; maxFileBytes: number; maxSnapshotBytes: number };

/** What a save (or a snapshot JSON document) is checked as. */
export type SnapshotInput = {
  thread: unknown;
  version?: unknown;
  title?: unknown;
  entry?: unknown;
  tags?: unknown;
  unlisted?: unknown;
  files: SnapshotFile[];
  dependencies: Dependency[];
};

export type Checked = {
  problems: string[];
  entry: string;
  title: string | null;
  tags: string[];
  dependencies: Dependency[];
};

const ID = new RegExp(RULES.ids.pattern);
const UNSAFE = new RegExp(RULES.paths.unsafe);
const SURROGATE = new RegExp(RULES.paths.surrogate, "u"); // u: only a LONE surrogate matches
const DRIVE = new RegExp(RULES.paths.drive);
const ENCODER = new TextEncoder();

/** A value for a message: quoted, escaped, and cut short (never the whole of a hostile value). */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text = `<${typeof value}>`;
  }
  text = text.replace(new RegExp(RULES.paths.unsafe, "g"), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return text.length <= 80 ? text : text.slice(0, 77) + "...";
}

export function hasLoneSurrogate(text: string): boolean {
  return SURROGATE.test(text);
}

/** Python's len(): code points, not UTF-16 units (an emoji is 1, not 2). */
export function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function utf8Length(text: string): number {
  return ENCODER.encode(text).length;
}

/** check_id: null when `value` is a valid thread or version id, else the problem. */
export function idProblem(value: unknown, what: string): string | null {
  if (typeof value !== "string" || !ID.test(value)) {
    return `invalid ${what} id ${shown(value)}: use 1-64 characters of a-z 0-9 . _ - starting with a letter or digit`;
  }
  if (RULES.ids.reserved.includes(value)) return `${what} id ${shown(value)} is reserved: rename it`;
  return null;
}

/** check_relative_path: null when `path` is a safe relative POSIX path inside a snapshot. */
export function pathProblem(path: unknown): string | null {
  if (typeof path !== "string" || !path) return `file path ${shown(path)} is empty or not a string`;
  const unsafe = UNSAFE.exec(path);
  if (unsafe) {
    const code = unsafe[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `file path ${shown(path)} has the control character U+${code}; rename the file`;
  }
  if (hasLoneSurrogate(path)) return `file path ${shown(path)} is not valid UTF-8; rename the file`;
  if (path.includes("\\") || path.startsWith("/") || DRIVE.test(path)) {
    return `file path ${shown(path)} must be relative and use '/' separators`;
  }
  if (path.split("/").some((part) => RULES.paths.badParts.includes(part))) {
    return `file path ${shown(path)} escapes the snapshot or is not normalised (no '..', '.', '//')`;
  }
  return null;
}

/** Every problem of a snapshot at once (an empty list: it may be saved), with what it resolves to. */
export function checkSnapshot(input: SnapshotInput, limits: Limits = RULES.limits): Checked {
  const problems: string[] = [];
  const note = (problem: string | null) => problem !== null && problems.push(problem);
  note(idProblem(input.thread, "thread"));
  if (input.version !== undefined) note(idProblem(input.version, "version"));
  const paths = checkFiles(input.files, limits, problems);
  const entry = paths.size || !problems.length ? entryOf(input.entry, paths, problems) : "";
  const title = textOf(input.title, "title", problems);
  const tags = tagsOf(input.tags, problems);
  if (input.unlisted !== undefined && typeof input.unlisted !== "boolean") {
    problems.push("unlisted must be true or false");
  }
  const dependencies: Dependency[] = [];
  for (const { name, spec } of [...input.dependencies].sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1))) {
    const problem = dependencyProblem(name, spec);
    if (problem) problems.push(problem);
    else dependencies.push({ name, spec: spec.trim() || "*" });
  }
  return { problems, entry, title, tags, dependencies };
}

/** A `mkdocs-hybrid/snapshot@1` JSON document (what the editor exports, what an agent may hold) checked as
 * parse_snapshot_json checks it: its shape here, its fields by checkSnapshot. (`created` and `author` are not
 * read: a save takes both from the server and the signed-in identity.) */
export function checkSnapshotDocument(doc: unknown, limits: Limits = RULES.limits): Checked {
  const refused = (problem: string): Checked => ({ problems: [problem], entry: "", title: null, tags: [], dependencies: [] });
  if (typeof doc !== "object" || doc === null || Array.isArray(doc) || (doc as Record<string, unknown>).format !== RULES.snapshotFormat) {
    return refused(`not a snapshot file: "format" must be "${RULES.snapshotFormat}"`);
  }
  const data = doc as Record<string, unknown>;
  const shape: string[] = [];
  const unknown = Object.keys(data).filter((key) => !RULES.snapshotKeys.includes(key)).sort();
  if (unknown.length) shape.push(`unknown key(s) ${unknown.map(shown).join(", ")}: allowed are ${RULES.snapshotKeys.join(", ")}`);
  const files = data.files;
  const fileList: SnapshotFile[] = [];
  if (typeof files !== "object" || files === null || Array.isArray(files) || !Object.keys(files).length) {
    shape.push('"files" must be a non-empty object of {"path": "contents"}');
  } else {
    for (const [path, text] of Object.entries(files)) {
      if (typeof text === "string") fileList.push({ path, text });
      else shape.push(`files[${shown(path)}] must be a string`);
    }
  }
  const deps = data.dependencies || {};
  const dependencies: Dependency[] = [];
  if (typeof deps !== "object" || Array.isArray(deps)) shape.push('"dependencies" must be an object of {"name": "version"}');
  else for (const [name, spec] of Object.entries(deps)) dependencies.push({ name, spec: spec as string });
  const checked = checkSnapshot({
    thread: data.thread, version: data.version ?? null, title: data.title, entry: data.entry, tags: data.tags,
    unlisted: "unlisted" in data ? data.unlisted : undefined, files: fileList, dependencies,
  }, limits);
  if (shape.length && !fileList.length) checked.problems = checked.problems.filter((p) => !p.startsWith("files must not be empty"));
  checked.problems.unshift(...shape);
  return checked;
}

function checkFiles(files: SnapshotFile[], limits: Limits, problems: string[]): Set<string> {
  const paths = new Set<string>();
  if (!files.length) {
    problems.push("files must not be empty: a snapshot has at least its entry file");
    return paths;
  }
  if (files.length > limits.maxFiles) {
    problems.push(`snapshot has ${files.length} files, over the limit of ${limits.maxFiles}`);
    return paths;
  }
  let total = 0;
  for (const file of files) {
    const problem = pathProblem(file.path);
    if (problem) {
      problems.push(`files: ${problem}`);
      continue;
    }
    if (paths.has(file.path)) problems.push(`files[${shown(file.path)}] is given twice`);
    paths.add(file.path);
    let size = file.size ?? 0;
    if (file.text !== undefined) {
      if (typeof file.text !== "string") {
        problems.push(`files[${shown(file.path)}] must be a string`);
        continue;
      }
      if (hasLoneSurrogate(file.text)) {
        problems.push(`files[${shown(file.path)}] is not UTF-8 text (a lone surrogate escape)`);
        continue;
      }
      size = utf8Length(file.text);
    }
    if (size > limits.maxFileBytes) {
      problems.push(`files[${shown(file.path)}] is ${size} bytes, over the ${limits.maxFileBytes}-byte limit (build.max_file_bytes)`);
    }
    total += size;
  }
  if (total > limits.maxSnapshotBytes) {
    problems.push(`snapshot exceeds ${limits.maxSnapshotBytes} bytes (build.max_snapshot_bytes)`);
  }
  return paths;
}

function entryOf(given: unknown, paths: Set<string>, problems: string[]): string {
  let entry: string;
  if (given === undefined || given === null) {
    const found = RULES.entry.candidates.find((candidate) => paths.has(candidate));
    if (found === undefined) {
      problems.push("no entry file: add index.html, src/index.tsx (or .jsx/.ts/.js) or index.tsx, or name one with 'entry'");
      return "";
    }
    entry = found;
  } else {
    const problem = pathProblem(given);
    if (problem) {
      problems.push(`entry: ${problem}`);
      return "";
    }
    entry = given as string;
    if (!paths.has(entry)) {
      problems.push(`entry ${shown(entry)} is not a file of this snapshot`);
      return "";
    }
  }
  if (!RULES.entry.extensions.some((extension) => entry.endsWith(extension))) {
    problems.push(`entry ${shown(entry)} must be .html or a script (${RULES.entry.extensions.slice(1).join(", ")})`);
  }
  return entry;
}

function textOf(value: unknown, key: string, problems: string[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || hasLoneSurrogate(value)) {
    problems.push(`${key} must be UTF-8 text, not ${shown(value)}`);
    return null;
  }
  return value.trim() || null; // Python's str.strip() and JavaScript's trim() differ only on \x1c-\x1f and \x85
}

function tagsOf(value: unknown, problems: string[]): string[] {
  if (!value) return []; // Python's `data.get("tags") or []`
  if (!Array.isArray(value) || !value.every((t) => typeof t === "string" && t.trim() && !hasLoneSurrogate(t))) {
    problems.push("tags must be a list of non-empty UTF-8 strings");
    return [];
  }
  return [...new Set(value.map((t: string) => t.trim()))];
}

// -- dependencies: bundle/npm_spec.py's check_dependency ------------------------------------------------

const NPM = RULES.npm;
const FOLDS: Record<string, string> = NPM.caseFolds;
const FOLDED = new RegExp(`[${Object.keys(FOLDS).join("")}]`, "gu");
/** An ignore-case rule tests the text with Python's extra case folds applied (İ ı ſ K: rules.json's caseFolds). */
const re = (rule: { source: string; flags: string }) => {
  const pattern = new RegExp(rule.source, rule.flags);
  const folds = rule.flags.includes("i");
  return { test: (text: string) => pattern.test(folds ? text.replace(FOLDED, (c) => FOLDS[c]) : text) };
};
const IS_URL = re(NPM.isUrl);
const IS_GIT = re(NPM.isGit);
const IS_FILE_TYPE = re(NPM.isFileType);
const IS_POSIX_FILE = re(NPM.isPosixFile);
const URI_SAFE = new RegExp(NPM.uriSafe);
const NAME = new RegExp(NPM.name);
const SCOPED = new RegExp(NPM.scoped);
const REGISTRY = new Set<string>(NPM.registryTypes);
const KIND_WORDS: Record<string, string> = NPM.kindWords;

/** check_dependency: null when `name` at `spec` is a registry package npm would fetch, else the problem. */
export function dependencyProblem(name: unknown, spec: unknown): string | null {
  if (typeof name !== "string" || name.length > NPM.maxNameLength || !NAME.test(name) || nameProblem(name, true) !== null) {
    return `dependency name ${shown(name)} is not a valid npm package name (lower case, like "react" or "@scope/name")`;
  }
  if (typeof spec !== "string") return `dependency ${name}: the version must be a string, like ${NPM.example}`;
  if (codePoints(spec) > NPM.maxSpecLength) {
    return `dependency ${name}: the version is over ${NPM.maxSpecLength} characters; use a registry version like ${NPM.example}`;
  }
  let kind = classify(spec);
  const wanted = spec.trim() || "*";
  if (REGISTRY.has(kind) && classifyArgument(`${name}@${wanted}`) !== kind) kind = "invalid";
  if (!REGISTRY.has(kind)) {
    return `dependency ${name}: ${shown(spec)} is ${KIND_WORDS[kind]}, not a registry version, range or tag; only registry packages are allowed: use a version like ${NPM.example}`;
  }
  return null;
}

/** validate-npm-package-name's verdict (null: valid); `old` allows capitals, as npm-package-arg does. */
export function nameProblem(name: string, old = false): string | null {
  if (!name) return "it is empty";
  if (/^[._-]/.test(name)) return "it starts with a period, hyphen or underscore";
  if (name.trim() !== name) return "it has leading or trailing spaces";
  if (NPM.reservedNames.includes(name.toLowerCase())) return "it is a reserved name";
  if (!URI_SAFE.test(name)) {
    const match = SCOPED.exec(name);
    if (!match || match[2].startsWith(".") || match[1] === undefined || !URI_SAFE.test(match[1]) || !URI_SAFE.test(match[2])) {
      return "it has characters that are not URL-friendly";
    }
  }
  if (!old && (name.length > NPM.maxNameLength || name.toLowerCase() !== name)) {
    return `it is over ${NPM.maxNameLength} characters or has capital letters`;
  }
  return null;
}

/** npm's type for a package.json dependency's spec (npa.resolve(name, spec)); "invalid" where npm throws. */
export function classify(spec: string): string {
  if (spec && (spec.toLowerCase().startsWith("file:") || IS_POSIX_FILE.test(spec))) return fileType(spec);
  if (spec.toLowerCase().startsWith("npm:")) return aliasType(spec.slice(4));
  if (hostedGit(spec)) return "git";
  if (spec && IS_URL.test(spec)) return urlType(spec);
  if (spec && (spec.includes("/") || IS_FILE_TYPE.test(spec))) return fileType(spec);
  return registryType(spec.trim());
}

function classifyArgument(argument: string): string {
  return parseArgument(argument)[1];
}

function parseArgument(argument: string): [string | null, string] {
  const nameEnds = argument.indexOf("@", 1);
  const namePart = nameEnds > 0 ? argument.slice(0, nameEnds) : argument;
  if (IS_URL.test(argument)) return [null, classify(argument)];
  if (IS_GIT.test(argument)) return [null, "git"];
  if (!namePart.startsWith("@") && (namePart.includes("/") || IS_FILE_TYPE.test(namePart))) return [null, classify(argument)];
  if (nameEnds > 0) {
    if (nameProblem(namePart, true) !== null) return [namePart, "invalid"];
    return [namePart, classify(argument.slice(nameEnds + 1) || "*")];
  }
  if (nameProblem(argument, true) === null) return [argument, "range"];
  return [null, classify(argument)];
}

function registryType(spec: string): string {
  if (isVersion(spec)) return "version";
  if (isRange(spec)) return "range";
  return URI_SAFE.test(spec) ? "tag" : "invalid";
}

const fileType = (spec: string) => (IS_FILE_TYPE.test(spec) ? "file" : "directory");

function aliasType(sub: string): string {
  const [name, kind] = parseArgument(sub);
  return name !== null && REGISTRY.has(kind) ? "alias" : "invalid";
}

function urlType(spec: string): string {
  const protocol = spec.split(":", 1)[0].toLowerCase();
  if (NPM.gitProtocols.includes(protocol)) return "git";
  return protocol === "http" || protocol === "https" ? "remote" : "invalid";
}

/** npm_spec._hosted_git: a repository on GitHub, GitLab, Bitbucket, a gist or sourcehut (its urlsplit emulated). */
function hostedGit(spec: string): boolean {
  if (!spec) return false;
  const lower = spec.toLowerCase();
  if (NPM.gitShortcuts.some((prefix) => lower.startsWith(prefix)) || githubShorthand(spec)) return true;
  const candidate = spec.includes("://") ? spec : spec.includes("@") ? "git+ssh://" + spec.replace(":", "/") : spec;
  const parts = urlSplit(candidate);
  if (parts === null) return false;
  const host = parts.host.startsWith("www.") ? parts.host.slice(4) : parts.host;
  const segments = parts.path.split("/").filter(Boolean);
  if (!NPM.gitDomains.includes(host) || !segments.length) return false;
  if (host === "github.com" && segments.length > 2 && segments[2] !== "tree") return false;
  return host === "gist.github.com" ||
    (segments.length >= 2 && !segments.slice(2, 3).includes("get") && !segments.includes("-") && !spec.endsWith("archive.tar.gz"));
}

/** Python's urllib.parse.urlsplit, as far as `.hostname` and `.path` go (null where it raises ValueError). */
function urlSplit(url: string): { host: string; path: string } | null {
  url = url.replace(/^[\x00-\x20]+/, "").replace(/[\t\r\n]/g, "");
  const colon = url.indexOf(":");
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, colon))) url = url.slice(colon + 1);
  let netloc = "";
  if (url.startsWith("//")) {
    const end = url.slice(2).search(/[/?#]/);
    netloc = end < 0 ? url.slice(2) : url.slice(2, 2 + end);
    url = end < 0 ? "" : url.slice(2 + end);
    if (netloc.includes("[") !== netloc.includes("]")) return null;
  }
  const path = url.split("#")[0].split("?")[0];
  const hostPort = netloc.slice(netloc.lastIndexOf("@") + 1);
  const open = hostPort.indexOf("[");
  const host = open >= 0 ? hostPort.slice(open + 1).split("]")[0] : hostPort.split(":")[0];
  return { host: host.toLowerCase(), path };
}

function githubShorthand(arg: string): boolean {
  const hash = arg.indexOf("#");
  const slash = arg.indexOf("/");
  const secondSlash = arg.indexOf("/", slash + 1);
  const colon = arg.indexOf(":");
  const space = arg.search(/\s/);
  const at = arg.indexOf("@");
  const onlyAfterHash = (position: number) => position === -1 || (hash > -1 && position > hash);
  const noEndSlash = hash > -1 ? arg.at(hash - 1) !== "/" : !arg.endsWith("/"); // at(-1): Python's arg[-1]
  return onlyAfterHash(space) && slash > 0 && noEndSlash && !arg.startsWith(".") && onlyAfterHash(at) &&
    onlyAfterHash(colon) && onlyAfterHash(secondSlash);
}

// -- node-semver, loose mode (semver 7's internal/re.js sources, made safe as semver makes them) ----------

const SEMVER: Record<string, RegExp> = Object.fromEntries(
  Object.entries(NPM.semver as Record<string, string>).map(([name, source]) => [name, new RegExp(source)]),
);
const GLOBAL = (name: string) => new RegExp(NPM.semver[name as keyof typeof NPM.semver], "g");
const COMPARATORTRIM = GLOBAL("COMPARATORTRIM");
const TILDETRIM = GLOBAL("TILDETRIM");
const CARETTRIM = GLOBAL("CARETTRIM");
const BUILD_STRIP = new RegExp(NPM.buildStrip, "g");

class Invalid extends Error {}

type Groups = (string | undefined)[];
const isX = (part: string | undefined) => !part || part.toLowerCase() === "x" || part === "*";
const plusOne = (digits: string | undefined) => `${+(digits as string) + 1}`;
const sub = (text: string, pattern: RegExp, replace: (groups: Groups, whole: string) => string) =>
  text.replace(pattern, (whole: string, ...rest: unknown[]) => replace(rest as Groups, whole));

function semverCheck(version: string): void {
  if (codePoints(version) > NPM.semverMaxLength) throw new Invalid();
  const match = SEMVER.LOOSE.exec(version.trim());
  if (!match || [match[1], match[2], match[3]].some((part) => +part > NPM.maxSafeInteger)) throw new Invalid();
}

export function isVersion(spec: string): boolean {
  try {
    semverCheck(spec);
    return true;
  } catch (error) {
    if (error instanceof Invalid) return false;
    throw error;
  }
}

export function isRange(spec: string): boolean {
  const raw = spec.trim().replace(/\s+/g, " ");
  try {
    return raw.split("||").map((part) => parseRangePart(part.trim())).some((kept) => kept > 0);
  } catch (error) {
    if (error instanceof Invalid) return false;
    throw error;
  }
}

function replaceCaret(comp: string): string {
  return sub(comp, SEMVER.CARETLOOSE, ([major, minor, patch, pre]) => {
    if (isX(major)) return "";
    if (isX(minor)) return `>=${major}.0.0 <${plusOne(major)}.0.0-0`;
    if (isX(patch)) {
      if (major === "0") return `>=${major}.${minor}.0 <${major}.${plusOne(minor)}.0-0`;
      return `>=${major}.${minor}.0 <${plusOne(major)}.0.0-0`;
    }
    const low = `>=${major}.${minor}.${patch}` + (pre ? `-${pre}` : "");
    if (major === "0") {
      if (minor === "0") return `${low} <${major}.${minor}.${plusOne(patch)}-0`;
      return `${low} <${major}.${plusOne(minor)}.0-0`;
    }
    return `${low} <${plusOne(major)}.0.0-0`;
  });
}

function replaceTilde(comp: string): string {
  return sub(comp, SEMVER.TILDELOOSE, ([major, minor, patch, pre]) => {
    if (isX(major)) return "";
    if (isX(minor)) return `>=${major}.0.0 <${plusOne(major)}.0.0-0`;
    if (isX(patch)) return `>=${major}.${minor}.0 <${major}.${plusOne(minor)}.0-0`;
    const low = `>=${major}.${minor}.${patch}` + (pre ? `-${pre}` : "");
    return `${low} <${major}.${plusOne(minor)}.0-0`;
  });
}

function replaceXRange(comp: string): string {
  comp = comp.trim();
  return sub(comp, SEMVER.XRANGELOOSE, ([gtlt0, major, minor, patch], whole) => {
    let gtlt = gtlt0 as string;
    if ((isX(major) && !isX(minor)) || (isX(minor) && patch && !isX(patch))) return comp;
    const xm = isX(major) || isX(minor);
    const anyX = xm || isX(patch);
    if (gtlt === "=" && anyX) gtlt = "";
    if (isX(major)) return gtlt === ">" || gtlt === "<" ? "<0.0.0-0" : "*";
    if (gtlt && anyX) return xComparator(gtlt, major as string, minor, xm);
    if (xm) return `>=${major}.0.0 <${plusOne(major)}.0.0-0`;
    if (anyX) return `>=${major}.${minor}.0 <${major}.${plusOne(minor)}.0-0`;
    return whole;
  });
}

function xComparator(gtlt: string, major: string, minor: string | undefined, xm: boolean): string {
  let newMajor = major;
  let newMinor = xm ? "0" : String(minor);
  if (gtlt === ">") {
    gtlt = ">=";
    if (xm) [newMajor, newMinor] = [plusOne(major), "0"];
    else newMinor = plusOne(String(minor));
  } else if (gtlt === "<=") {
    gtlt = "<";
    if (xm) newMajor = plusOne(major);
    else newMinor = plusOne(String(minor));
  }
  return `${gtlt}${newMajor}.${newMinor}.0${gtlt === "<" ? "-0" : ""}`;
}

const eachWord = (step: (word: string) => string, comp: string, trim = true) =>
  (trim ? comp.trim() : comp).split(/\s+/).map(step).join(" ");

function parseComparator(comp: string): string {
  comp = comp.replace(SEMVER.BUILD, "");
  comp = eachWord(replaceCaret, comp);
  comp = eachWord(replaceTilde, comp);
  comp = eachWord(replaceXRange, comp, false);
  return comp.trim().replace(SEMVER.STAR, "");
}

function hyphen(groups: Groups): string {
  const [wholeFrom, fromMajor, fromMinor, fromPatch] = groups.slice(0, 4);
  const [wholeTo, toMajor, toMinor, toPatch, toPre] = groups.slice(6, 11);
  let low: string;
  if (isX(fromMajor)) low = "";
  else if (isX(fromMinor)) low = `>=${fromMajor}.0.0`;
  else if (isX(fromPatch)) low = `>=${fromMajor}.${fromMinor}.0`;
  else low = `>=${wholeFrom}`;
  let high: string;
  if (isX(toMajor)) high = "";
  else if (isX(toMinor)) high = `<${plusOne(toMajor)}.0.0-0`;
  else if (isX(toPatch)) high = `<${toMajor}.${plusOne(String(toMinor))}.0-0`;
  else if (toPre) high = `<=${toMajor}.${toMinor}.${toPatch}-${toPre}`;
  else high = `<=${wholeTo}`;
  return `${low} ${high}`.trim();
}

/** Range.parseRange in loose mode: how many comparators the part keeps (throws Invalid where semver throws). */
function parseRangePart(part: string): number {
  part = part.replace(BUILD_STRIP, "");
  part = sub(part, SEMVER.HYPHENRANGELOOSE, hyphen);
  part = part.replace(COMPARATORTRIM, "$1$2$3");
  part = part.replace(TILDETRIM, "$1~");
  part = part.replace(CARETTRIM, "$1^");
  const words = part.split(" ").map(parseComparator).join(" ").split(/\s+/);
  const kept = words.map((word) => word.trim().replace(SEMVER.GTE0, "")).filter((comp) => SEMVER.COMPARATORLOOSE.test(comp));
  for (const comp of kept) {
    const match = SEMVER.COMPARATORLOOSE.exec(comp.trim().split(/\s+/).join(" "));
    if (match === null) throw new Invalid();
    if (match[2]) semverCheck(match[2]);
  }
  return kept.length;
}
