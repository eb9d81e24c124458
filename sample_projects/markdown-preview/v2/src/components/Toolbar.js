import "./Toolbar.css";

const ACTIONS = [
  { label: "B", title: "Bold", wrap: ["**", "**"], className: "b" },
  { label: "I", title: "Italic", wrap: ["*", "*"], className: "i" },
  { label: "</>", title: "Code", wrap: ["`", "`"] },
  { label: "H2", title: "Heading", prefix: "## " },
  { label: "•", title: "List item", prefix: "- " },
  { label: "☐", title: "Task", prefix: "- [ ] " },
];

// Applies a formatting action to the textarea selection and returns the new text.
function apply(action, text, start, end) {
  if (action.wrap) {
    const [before, after] = action.wrap;
    const picked = text.slice(start, end) || action.title.toLowerCase();
    return {
      text: text.slice(0, start) + before + picked + after + text.slice(end),
      start: start + before.length,
      end: start + before.length + picked.length,
    };
  }
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  return {
    text: text.slice(0, lineStart) + action.prefix + text.slice(lineStart),
    start: start + action.prefix.length,
    end: end + action.prefix.length,
  };
}

export default function Toolbar({ textareaRef, text, onChange, mode, onMode }) {
  const run = (action) => {
    const area = textareaRef.current;
    if (!area) return;
    const next = apply(action, text, area.selectionStart, area.selectionEnd);
    onChange(next.text);
    requestAnimationFrame(() => {
      area.focus();
      area.setSelectionRange(next.start, next.end);
    });
  };

  return (
    <div className="toolbar">
      <div className="group">
        {ACTIONS.map((a) => (
          <button key={a.title} title={a.title} className={a.className} onClick={() => run(a)} disabled={mode === "preview"}>
            {a.label}
          </button>
        ))}
      </div>
      <div className="group modes" role="tablist">
        {["editor", "split", "preview"].map((m) => (
          <button key={m} role="tab" aria-selected={mode === m} className={mode === m ? "on" : ""} onClick={() => onMode(m)}>
            {m}
          </button>
        ))}
      </div>
    </div>
  );
}
