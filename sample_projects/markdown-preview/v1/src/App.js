import { useDeferredValue, useMemo, useState } from "react";
import { render } from "./markdown.js";
import { SAMPLE } from "./sample.js";

export default function App() {
  const [text, setText] = useState(SAMPLE);
  const deferred = useDeferredValue(text);
  const preview = useMemo(() => render(deferred), [deferred]);

  return (
    <div className="app">
      <header className="bar">
        <strong>Markdown Preview</strong>
        <span>{text.length} characters</span>
      </header>
      <div className="panes">
        <textarea
          aria-label="Markdown source"
          spellCheck="false"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <article className="preview">{preview}</article>
      </div>
    </div>
  );
}
