// The file tree (left) and the tabs (above the code). Both only render and report what the author asked
// for; main.js owns the files and decides what an action means.

import { isRelativePath } from "../snapshot_format.js";

function element(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** An inline text field in place of a row: Enter commits, Escape or leaving it cancels. */
function inlineInput(value, commit, cancel) {
  const input = element("input", { type: "text", value, className: "tree-input", spellcheck: false });
  let done = false;
  const finish = (ok) => {
    if (done) return;
    done = true;
    if (ok && input.value.trim() && input.value.trim() !== value) commit(input.value.trim());
    else cancel();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") finish(true);
    if (event.key === "Escape") finish(false);
  });
  input.addEventListener("blur", () => finish(true));
  queueMicrotask(() => {
    input.focus();
    // Select the name without its extension, as file managers do.
    const dot = value.lastIndexOf(".");
    const slash = value.lastIndexOf("/");
    input.setSelectionRange(slash + 1, dot > slash ? dot : value.length);
  });
  return input;
}

export class FileTree {
  constructor(list, addButton, { onOpen, onAdd, onRename, onDelete, onInvalid }) {
    this.list = list;
    this.handlers = { onOpen, onAdd, onRename, onDelete, onInvalid };
    this.paths = [];
    this.active = null;
    this.entry = null;
    this.errors = new Set();
    addButton.addEventListener("click", () => this.startAdd());
  }

  render({ paths, active, entry, errors }) {
    Object.assign(this, { paths: [...paths].sort(), active, entry, errors: new Set(errors) });
    this.list.replaceChildren(...this.rows());
  }

  /** Folders first, then files, each sorted; nesting shown by indentation. */
  rows() {
    const root = { folders: new Map(), files: [] };
    for (const path of this.paths) {
      const parts = path.split("/");
      let node = root;
      for (const part of parts.slice(0, -1)) {
        if (!node.folders.has(part)) node.folders.set(part, { folders: new Map(), files: [] });
        node = node.folders.get(part);
      }
      node.files.push(path);
    }
    const rows = [];
    const walk = (node, depth) => {
      for (const [name, child] of [...node.folders].sort(([a], [b]) => a.localeCompare(b))) {
        rows.push(this.indent(element("li", { className: "tree-folder", textContent: `${name}/` }), depth));
        walk(child, depth + 1);
      }
      for (const path of node.files.sort()) rows.push(this.indent(this.fileRow(path), depth));
    };
    walk(root, 0);
    return rows;
  }

  indent(row, depth) {
    row.style.paddingLeft = `${4 + depth * 12}px`;
    return row;
  }

  fileRow(path) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const label = element("button", { type: "button", className: "tree-name", textContent: name, title: path });
    label.addEventListener("click", () => this.handlers.onOpen(path));
    label.addEventListener("dblclick", () => this.startRename(path));
    const rename = element("button", { type: "button", className: "icon", title: `Rename ${path}`, textContent: "✎" });
    rename.addEventListener("click", () => this.startRename(path));
    const remove = element("button", { type: "button", className: "icon", title: `Delete ${path}`, textContent: "×" });
    remove.addEventListener("click", () => this.handlers.onDelete(path));
    const badges = [];
    if (path === this.entry) badges.push(element("span", { className: "badge", textContent: "entry" }));
    const row = element("li", { className: "tree-file" }, [label, ...badges, rename, remove]);
    row.dataset.path = path;
    row.classList.toggle("active", path === this.active);
    row.classList.toggle("has-error", this.errors.has(path));
    return row;
  }

  check(path, except = null) {
    if (!isRelativePath(path)) return `"${path}" is not a relative path (no leading /, no . or .. parts)`;
    if (path !== except && this.paths.includes(path)) return `${path} already exists`;
    return null;
  }

  startAdd() {
    const row = element("li", { className: "tree-file editing" });
    const input = inlineInput("", (path) => {
      const problem = this.check(path);
      if (problem) this.handlers.onInvalid(problem);
      else this.handlers.onAdd(path);
      row.remove();
    }, () => row.remove());
    input.placeholder = "path/name.js";
    row.append(input);
    this.list.append(row);
  }

  startRename(path) {
    const row = [...this.list.children].find((item) => item.dataset.path === path);
    if (!row) return;
    const input = inlineInput(path, (target) => {
      const problem = this.check(target, path);
      if (problem) this.handlers.onInvalid(problem);
      else this.handlers.onRename(path, target);
      this.render(this);
    }, () => this.render(this));
    row.replaceChildren(input);
  }
}

export class Tabs {
  constructor(container, { onSelect, onClose }) {
    this.container = container;
    this.onSelect = onSelect;
    this.onClose = onClose;
  }

  render({ open, active, errors }) {
    const failing = new Set(errors);
    this.container.replaceChildren(...open.map((path) => {
      // The tab is the name's button and the close button its sibling: a control inside a control is announced
      // as one (axe-core: nested-interactive), and a tablist may hold only tabs, so the row is a plain group of
      // buttons (editor.html) and the open file's is aria-current. Buttons also take the focus and Enter.
      const name = element("button", { type: "button", className: "tab-name", title: path,
        textContent: path.slice(path.lastIndexOf("/") + 1) });
      if (path === active) name.setAttribute("aria-current", "true");
      const close = element("button", { type: "button", className: "icon tab-close", title: `Close ${path}`,
        textContent: "×" });
      close.addEventListener("click", (event) => {
        event.stopPropagation();
        this.onClose(path);
      });
      const tab = element("div", { className: "tab", title: path }, [name, close]);
      tab.dataset.path = path;
      tab.classList.toggle("active", path === active);
      tab.classList.toggle("has-error", failing.has(path));
      tab.addEventListener("click", () => this.onSelect(path));
      return tab;
    }));
  }
}
