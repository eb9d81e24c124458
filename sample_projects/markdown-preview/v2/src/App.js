import { useDeferredValue, useMemo, useRef, useState } from "react";
import { marked } from "marked";
import Toolbar from "./components/Toolbar.js";
import { SAMPLE } from "./sample.js";
import { useStats } from "./useStats.js";

const slug = (text) => text.toLowerCase().replace(/<[^>]+>/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

marked.use({
  gfm: true,
  renderer: {
    // Give headings ids so [links](#release-notes) can jump to them.
    heading({ tokens, depth }) {
      const inner = this.parser.parseInline(tokens);
      return `<h${depth} id="${slug(inner)}">${inner}</h${depth}>\n`;
    },
  },
});

export default function App() {
  const [text, setText] = useState(SAMPLE);
  const [mode, setMode] = useState("split");
  const textareaRef = useRef(null);
  const deferred = useDeferredValue(text);
  // The page already runs in a sandboxed iframe, so rendering HTML is acceptable here.
  const html = useMemo(() => marked.parse(deferred, { async: false }), [deferred]);
  const stats = useStats(deferred);

  // Keep clicks on links inside the preview: only #anchors may move the page.
  const onPreviewClick = (e) => {
    const a = e.target.closest("a");
    if (!a) return;
    const href = a.getAttribute("href") || "";
    e.preventDefault();
    if (href.startsWith("#")) {
      document.getElementById(href.slice(1))?.scrollIntoView({ behavior: "smooth" });
    }
  };

  return (
    <div className={`app mode-${mode}`}>
      <header className="bar">
        <strong>Markdown Preview</strong>
        <span>
          {stats.words} words · {stats.minutes} min read · {stats.chars} characters
        </span>
      </header>
      <Toolbar textareaRef={textareaRef} text={text} onChange={setText} mode={mode} onMode={setMode} />
      <div className="panes">
        <textarea
          ref={textareaRef}
          aria-label="Markdown source"
          spellCheck="false"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <article className="preview" onClick={onPreviewClick} dangerouslySetInnerHTML={{ __html: html }} />
      </div>
    </div>
  );
}
