// The code editor: one CodeMirror 6 view, one EditorState per open file (so each file keeps its own undo
// history and selection when the author switches tabs), the language chosen by the file's extension, and light or
// dark as the system is (One Dark, switched live through a Compartment).

import { basicSetup } from "codemirror";
import { EditorState, Compartment } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { css } from "@codemirror/lang-css";
import { html } from "@codemirror/lang-html";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { openSearchPanel } from "@codemirror/search";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { color as oneDark, oneDarkHighlightStyle, oneDarkTheme } from "@codemirror/theme-one-dark";

export function languageFor(path) {
  const extension = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  switch (extension) {
    case "tsx": return javascript({ jsx: true, typescript: true });
    case "ts": case "mts": case "cts": return javascript({ typescript: true });
    // JSX is allowed in .js files (as in the site build), so .js gets the JSX grammar too.
    case "js": case "jsx": case "mjs": case "cjs": return javascript({ jsx: true });
    case "css": return css();
    case "html": case "htm": return html();
    default: return [];
  }
}

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "13px" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", lineHeight: "1.5" },
});

// Line numbers in the page's muted grey (#8c959f was 2.9:1 on the gutter; WCAG AA asks 4.5:1).
const light = EditorView.theme({
  ".cm-gutters": { backgroundColor: "#f6f8fa", borderRight: "1px solid #d0d7de", color: "#656d76" },
});

// One Dark, with its colours under WCAG AA's 4.5:1 brightened (same hue) to 4.7:1 on the active line's tint:
// comments and line numbers (#7d8799, 3.9:1 on its background), names and properties (#e06c75, 4.4:1) and
// keywords (#c678dd, 4.75:1 but 4.45:1 on the active line).
const BRIGHTER = { [oneDark.stone]: "#949cab", [oneDark.coral]: "#e47d85", [oneDark.violet]: "#ca80e0" };
const darkHighlight = HighlightStyle.define(oneDarkHighlightStyle.specs.map(
  (spec) => (spec.color in BRIGHTER ? { ...spec, color: BRIGHTER[spec.color] } : spec)));
const dark = [
  EditorView.theme({ ".cm-gutters": { color: BRIGHTER[oneDark.stone], borderRight: "1px solid #3d444d" } },
    { dark: true }),
  oneDarkTheme,
  syntaxHighlighting(darkHighlight),
];

export class CodeView {
  /** `dark`: start with the dark code pane (the page passes the system's setting, and `setDark` when it changes). */
  constructor(parent, { onChange, dark: startDark = false }) {
    this.onChange = onChange;
    this.states = new Map(); // path -> EditorState of a file opened at least once
    this.path = null;
    this.language = new Compartment();
    this.scheme = new Compartment();
    this.dark = startDark;
    this.view = new EditorView({ parent, state: EditorState.create({ doc: "", extensions: this.schemeExtension() }) });
    this.view.dom.hidden = true;
  }

  schemeExtension() {
    return this.scheme.of(this.dark ? dark : light);
  }

  /** Light or dark code pane, at once: the open file's state and every kept one (undo history kept). */
  setDark(on) {
    if (on === this.dark) return;
    this.dark = on;
    const effects = this.scheme.reconfigure(on ? dark : light);
    for (const [path, state] of this.states) this.states.set(path, state.update({ effects }).state);
    this.view.dispatch({ effects });
  }

  createState(path, text) {
    const listener = EditorView.updateListener.of((update) => {
      if (update.docChanged && this.path === path) this.onChange(path, update.state.doc.toString());
    });
    return EditorState.create({
      doc: text,
      // Wrapped lines: the code pane is half the width, and a phone's is narrower still.
      extensions: [basicSetup, keymap.of([indentWithTab]), lintGutter(), theme, this.schemeExtension(),
        EditorView.lineWrapping, this.language.of(languageFor(path)), listener,
        // The text area's name for a screen reader (it has no <label>): which file it edits.
        EditorView.contentAttributes.of({ "aria-label": `Code of ${path}` })],
    });
  }

  /** Show `path` (with `text` the first time it is opened) and its diagnostics. */
  open(path, text, diagnostics = []) {
    if (this.path !== null) this.states.set(this.path, this.view.state);
    let state = this.states.get(path);
    if (!state || state.doc.toString() !== text) state = this.createState(path, text);
    this.path = path;
    this.view.setState(state);
    this.view.dom.hidden = false;
    this.setDiagnostics(path, diagnostics);
  }

  /** Show no file (the last tab was closed). */
  clear() {
    if (this.path !== null) this.states.set(this.path, this.view.state);
    this.path = null;
    this.view.dom.hidden = true;
  }

  forget(path) {
    this.states.delete(path);
    if (this.path === path) this.clear();
  }

  rename(from, to) {
    const state = this.path === from ? this.view.state : this.states.get(from);
    this.states.delete(from);
    if (!state) return;
    // A new state: the language follows the new extension.
    const text = state.doc.toString();
    this.states.set(to, this.createState(to, text));
    if (this.path === from) {
      this.path = null;
      this.open(to, text);
    }
  }

  /** Build errors as lint markers: `{line, column, text}` counted from 1, clamped to the document. */
  setDiagnostics(path, errors) {
    if (path !== this.path) return;
    const doc = this.view.state.doc;
    const diagnostics = errors.map((error) => {
      const line = doc.line(Math.min(Math.max(error.line || 1, 1), doc.lines));
      const from = Math.min(line.from + Math.max((error.column || 1) - 1, 0), line.to);
      const to = from < line.to ? from + 1 : from;
      return { from, to, severity: "error", message: error.text, source: "esbuild" };
    });
    this.view.dispatch(setDiagnostics(this.view.state, diagnostics));
  }

  /** Open the search panel of the open file (Ctrl/Cmd-F from outside the code view); false if none is open. */
  search() {
    if (this.path === null) return false;
    this.view.focus();
    return openSearchPanel(this.view);
  }

  reveal(line, column) {
    const doc = this.view.state.doc;
    const target = doc.line(Math.min(Math.max(line, 1), doc.lines));
    const anchor = Math.min(target.from + Math.max(column - 1, 0), target.to);
    this.view.dispatch({ selection: { anchor }, effects: EditorView.scrollIntoView(anchor, { y: "center" }) });
    this.view.focus();
  }
}
