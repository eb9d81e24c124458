// The problems panel (build errors of every file, missing packages, the preview's runtime errors) and the
// one-line notice under the toolbar (save results, share links, refusals).

function element(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function missingText(item) {
  return item.message || `package ${item.package} is not available`;
}

/** One entry per problem (same message, file and line): a missing package comes back both as a build error
 * and as a missing entry, and a demo may log the same error on every frame. The missing entry is kept (it
 * names the import). */
export function uniqueProblems({ build = [], missing = [], runtime = [] }) {
  const seen = new Set();
  const first = (key) => !seen.has(key) && Boolean(seen.add(key));
  const keep = (items, key) => items.filter((item) => first(key(item)));
  const uniqueMissing = keep(missing, (item) => JSON.stringify([missingText(item), null, null]));
  return {
    missing: uniqueMissing,
    build: keep(build, (error) => JSON.stringify([error.text, error.file ?? null, error.line ?? null])),
    runtime: keep(runtime, (error) => JSON.stringify([error.message, "runtime", error.kind])),
  };
}

export class Problems {
  constructor(list, counter, { onReveal }) {
    this.list = list;
    this.counter = counter;
    this.onReveal = onReveal;
  }

  /** `build`: [{file, line, column, text}]; `missing`: [{package, specifier, message}]; `runtime`: [{kind, message}];
   * `save`: the lines a store refused the last save with (the Convex store's `invalid` problems). */
  render({ build = [], missing = [], runtime = [], save = [] }) {
    const unique = uniqueProblems({ build, missing, runtime });
    const rows = [
      ...save.map((text) => this.row("save", text, "not saved")),
      ...unique.build.map((error) => this.buildRow(error)),
      ...unique.missing.map((item) => this.row("missing", missingText(item), item.specifier || item.package)),
      ...unique.runtime.map((error) => this.row("runtime", error.message,
        error.kind === "console" ? "console.error" : "runtime")),
    ];
    this.list.replaceChildren(...rows);
    if (!rows.length) this.list.append(element("li", { className: "problem none", textContent: "No problems." }));
    this.counter.textContent = String(rows.length);
    this.counter.classList.toggle("bad", rows.length > 0);
  }

  buildRow(error) {
    const where = error.file ? `${error.file}:${error.line}:${error.column}` : "build";
    const row = this.row("build", error.text, where);
    if (error.file) {
      row.classList.add("clickable");
      row.tabIndex = 0;
      const reveal = () => this.onReveal(error.file, error.line, error.column);
      row.addEventListener("click", reveal);
      row.addEventListener("keydown", (event) => event.key === "Enter" && reveal());
    }
    return row;
  }

  row(kind, text, where) {
    const row = element("li", { className: `problem ${kind}` }, [
      element("span", { className: "where", textContent: where }),
      element("span", { className: "text", textContent: text }),
    ]);
    row.dataset.kind = kind;
    return row;
  }
}

export class Notice {
  constructor(box) {
    this.box = box;
  }

  /** One line; `kind` is "info" or "error"; `link` ({href, text}) and `action` ({text, run}) are optional. */
  show(text, { kind = "info", link = null, action = null } = {}) {
    const parts = [element("span", { textContent: text })];
    if (link) parts.push(element("a", { href: link.href, textContent: link.text, target: "_blank", rel: "noopener" }));
    if (action) {
      const button = element("button", { type: "button", className: "small", textContent: action.text });
      button.addEventListener("click", action.run);
      parts.push(button);
    }
    const close = element("button", { type: "button", className: "icon", title: "Dismiss", textContent: "×" });
    close.addEventListener("click", () => this.hide());
    this.box.replaceChildren(...parts, close);
    this.box.className = `notice ${kind}`;
    this.box.hidden = false;
  }

  hide() {
    this.box.hidden = true;
  }
}
