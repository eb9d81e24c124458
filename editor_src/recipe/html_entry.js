// bundle/html_entry.py in JavaScript: split an index.html demo into what esbuild bundles and the page around
// it. The tag scanner follows Python's html.parser (which the build uses) for what matters here: start tags
// and their attributes, comments and declarations skipped, script and style bodies read as raw text.
import { SCRIPT_MARK, STYLE_MARK } from "./page.js";

const INLINED = new Set(["img src", "source src", "input src", "image href", "link href", "video poster"]);
const TAG_NAME = /[a-zA-Z][^\t\n\r\f />\x00]*/y;
const AFTER_NAME = /(?:\s|\/(?!>))*/y;
const ATTRIBUTE = /([^\s/>][^\s/=>]*)(\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*))?(?:\s|\/(?!>))*/y;
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

export class HtmlEntryError extends Error {}

/** Python's html.unescape, with its tables from the recipe (recipe.html_unescape). */
function unescapeHtml(text, tables) {
  return text.replace(CHARREF, (whole, ref) => {
    if (ref[0] === "#") {
      const hex = ref[1] === "x" || ref[1] === "X";
      const code = parseInt(ref.slice(hex ? 2 : 1).replace(/;$/, ""), hex ? 16 : 10);
      if (Object.hasOwn(tables.invalid_charrefs, String(code))) return tables.invalid_charrefs[String(code)];
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return "\ufffd";
      if (tables.invalid_codepoints.includes(code)) return "";
      return String.fromCodePoint(code);
    }
    if (Object.hasOwn(tables.named, ref)) return tables.named[ref];
    for (let x = ref.length - 1; x > 1; x--) { // the longest known name, as the standard says
      if (Object.hasOwn(tables.named, ref.slice(0, x))) return tables.named[ref.slice(0, x)] + ref.slice(x);
    }
    return whole;
  });
}

/** The start tag at `start` ("<" then a letter): [name, attrs Map, end] or null when it does not close. */
function startTag(source, start, tables) {
  TAG_NAME.lastIndex = start + 1;
  const name = TAG_NAME.exec(source);
  if (!name) return null;
  let at = start + 1 + name[0].length;
  AFTER_NAME.lastIndex = at;
  at += AFTER_NAME.exec(source)[0].length;
  const attrs = new Map();
  for (;;) {
    const before = source[at - 1];
    if (!/['"\s/]/.test(before)) break;
    ATTRIBUTE.lastIndex = at;
    const match = ATTRIBUTE.exec(source);
    if (!match || match[0] === "") break;
    let value = match[2] ? match[3] : "";
    if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.at(-1) === value[0]) value = value.slice(1, -1);
    const key = match[1].toLowerCase();
    attrs.set(key, value ? unescapeHtml(value, tables) : "");
    at += match[0].length;
  }
  const close = source.slice(at).match(/^\s*\/?>/);
  if (!close) return null;
  const end = at + close[0].length;
  return { name: name[0].toLowerCase(), attrs, start, end, selfClosing: close[0].trim() === "/>", body: "" };
}

/** Every start tag, in order, with script bodies; comments, declarations and raw text skipped. */
function scanTags(source, tables) {
  const tags = [];
  let at = 0;
  while ((at = source.indexOf("<", at)) >= 0) {
    if (source.startsWith("<!--", at)) {
      const close = source.slice(at + 4).search(/--\s*>/);
      if (close < 0) break;
      at = at + 4 + close + source.slice(at + 4 + close).match(/^--\s*>/)[0].length;
      continue;
    }
    if (source[at + 1] === "!" || source[at + 1] === "?") {
      const close = source.indexOf(">", at);
      if (close < 0) break;
      at = close + 1;
      continue;
    }
    const tag = /[a-zA-Z]/.test(source[at + 1] || "") ? startTag(source, at, tables) : null;
    if (!tag) {
      at += 1;
      continue;
    }
    tags.push(tag);
    at = tag.end;
    if ((tag.name === "script" || tag.name === "style") && !tag.selfClosing) {
      const pattern = new RegExp(`</\\s*${tag.name}\\s*>`, "i");
      const found = source.slice(at).search(pattern);
      const bodyEnd = found < 0 ? source.length : at + found;
      if (tag.name === "script") {
        tag.body = source.slice(at, bodyEnd);
        const close = found < 0 ? -1 : source.indexOf(">", bodyEnd);
        tag.end = close >= 0 ? close + 1 : source.length;
      }
      at = found < 0 ? source.length : bodyEnd;
    }
  }
  return tags;
}

function isLocal(url) {
  const trimmed = url.trim();
  return !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(trimmed) && !trimmed.startsWith("//");
}

function normalize(path) {
  const out = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length && out.at(-1) !== "..") out.pop();
    else out.push(part);
  }
  return out.join("/") || ".";
}

function escapeAttribute(value) {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" })[c]);
}

function base64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Split `files[entry]` (strings or bytes by path) into {imports, inlineModules, template}. */
export function splitHtmlEntry(files, entry, mimeTypes, unescapeTables) {
  const text = (path) => (typeof files[path] === "string" ? files[path] : new TextDecoder().decode(files[path]));
  const bytes = (path) => (typeof files[path] === "string" ? new TextEncoder().encode(files[path]) : files[path]);
  const source = text(entry);
  const base = entry.includes("/") ? entry.slice(0, entry.lastIndexOf("/")) : "";
  const result = { imports: [], inlineModules: {}, template: "" };
  const edits = [];
  const local = (url, tag) => {
    if (!isLocal(url)) {
      throw new HtmlEntryError(`<${tag.name}> loads '${url}' from another site; a share link must work offline: ` +
        "add the code as a file or an npm dependency");
    }
    const path = decodeURIComponent(url.split(/[?#]/)[0]);
    const joined = normalize(path.startsWith("/") ? path.replace(/^\/+/, "") : (base ? `${base}/${path}` : path));
    if (joined.startsWith("..") || !(joined in files)) {
      throw new HtmlEntryError(`<${tag.name}> refers to '${url}', which is not a file of this snapshot`);
    }
    return joined;
  };
  const replace = (tag, text) => {
    if ((text === STYLE_MARK || text === SCRIPT_MARK) && edits.some((edit) => edit[2] === text)) text = "";
    edits.push([tag.start, tag.end, text]);
  };
  for (const tag of scanTags(source, unescapeTables)) {
    if (tag.name === "script") {
      const src = tag.attrs.get("src");
      const isModule = (tag.attrs.get("type") || "").trim().toLowerCase() === "module";
      if (src === undefined) {
        if (isModule) {
          const name = `${base ? base + "/" : ""}.hybrid-inline-${Object.keys(result.inlineModules).length}.js`;
          result.inlineModules[name] = tag.body;
          result.imports.push(name);
          replace(tag, SCRIPT_MARK);
        }
      } else if (isModule) {
        result.imports.push(local(src, tag));
        replace(tag, SCRIPT_MARK);
      } else {
        const code = new TextDecoder().decode(bytes(local(src, tag))).replaceAll("</script", "<\\/script");
        replace(tag, `<script>${code}</script>`);
      }
    } else if (tag.name === "link" && (tag.attrs.get("rel") || "").toLowerCase().split(/\s+/).includes("stylesheet")) {
      result.imports.push(local(tag.attrs.get("href") || "", tag));
      replace(tag, STYLE_MARK);
    } else {
      inlineAssets(tag, local, bytes, mimeTypes, edits);
    }
  }
  result.template = applyEdits(source, edits);
  return result;
}

function inlineAssets(tag, local, bytes, mimeTypes, edits) {
  let changed = false;
  const attrs = new Map(tag.attrs);
  for (const [name, value] of tag.attrs) {
    if (INLINED.has(`${tag.name} ${name}`) && isLocal(value) && value.trim()) {
      const path = local(value, tag);
      const dot = path.lastIndexOf(".");
      const ext = dot > path.lastIndexOf("/") ? path.slice(dot) : "";
      const mime = mimeTypes[ext] || mimeTypes[ext.toLowerCase()] || "application/octet-stream";
      attrs.set(name, `data:${mime};base64,` + base64(bytes(path)));
      changed = true;
    }
  }
  if (changed) {
    const rendered = [...attrs].map(([k, v]) => (v ? ` ${k}="${escapeAttribute(v)}"` : ` ${k}`)).join("");
    edits.push([tag.start, tag.end, `<${tag.name}${rendered}>`]);
  }
}

function applyEdits(source, edits) {
  const out = [];
  let position = 0;
  for (const [start, end, text] of [...edits].sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0))) {
    out.push(source.slice(position, start), text);
    position = end;
  }
  out.push(source.slice(position));
  let page = out.join("");
  if (!page.includes(STYLE_MARK)) page = insertBefore(page, "</head>", STYLE_MARK);
  if (!page.includes(SCRIPT_MARK)) page = insertBefore(page, "</body>", SCRIPT_MARK);
  return page;
}

function insertBefore(page, closingTag, text) {
  const index = page.toLowerCase().lastIndexOf(closingTag);
  return index >= 0 ? page.slice(0, index) + text + page.slice(index) : page + text;
}
