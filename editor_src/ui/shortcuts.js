// The keyboard shortcuts and their help dialog ("?" in the status bar, or the ? key outside a text field).
// Ctrl/Cmd-S, Ctrl/Cmd-Enter and Ctrl/Cmd-F are taken in the capture phase, before the code view: CodeMirror
// binds Mod-Enter to "insert a blank line", which is not what the author asks for here.

function typing(target) {
  return Boolean(target?.closest?.("input, textarea, select, [contenteditable='true'], .cm-editor"));
}

/** `actions`: {save(), rebuild(), search(): true if it opened the code view's search}. */
export function wireShortcuts(dialog, button, actions) {
  const open = () => {
    if (!dialog.open) dialog.showModal(); // Escape closes a modal dialog, and focus returns to the opener
  };
  button.addEventListener("click", open);
  addEventListener("keydown", (event) => {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && !event.altKey && event.key.toLowerCase() === "s") {
      event.preventDefault(); // the browser's "save page" is never what the author means here
      actions.save();
    } else if (mod && event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      actions.rebuild();
    } else if (mod && !event.altKey && event.key.toLowerCase() === "f") {
      // In the code view CodeMirror opens its own search; elsewhere, open it there (else the browser's find).
      if (!event.target.closest?.(".cm-editor") && actions.search()) event.preventDefault();
    } else if (event.key === "?" && !mod && !event.altKey && !typing(event.target) && !dialog.open) {
      event.preventDefault();
      open();
    }
  }, true);
}
