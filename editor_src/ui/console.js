// The console panel: what the demo in the preview logs (console.log/info/warn/error/debug) and its uncaught
// errors, forwarded by the preview's reporter script (preview.js). It starts afresh with each preview run, as
// a browser's console does on a reload.

const MAX_LINES = 500; // a demo that logs every frame must not grow the page without end

export class ConsolePanel {
  constructor(list, counter, clearButton) {
    this.list = list;
    this.counter = counter;
    this.count = 0; // lines logged since the last clear (more than are kept)
    this.errors = 0; // error lines kept
    clearButton.addEventListener("click", () => this.clear());
  }

  /** `line`: {level: "log" | "info" | "warn" | "error" | "debug", message}. */
  add(line) {
    const atEnd = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    const row = document.createElement("li");
    row.className = `console-line ${line.level}`;
    row.dataset.level = line.level;
    row.textContent = line.message;
    this.list.append(row);
    this.count += 1;
    if (line.level === "error") this.errors += 1;
    if (this.list.childElementCount > MAX_LINES) {
      if (this.list.firstElementChild.dataset.level === "error") this.errors -= 1;
      this.list.firstElementChild.remove();
    }
    this.renderCount();
    if (atEnd) this.list.scrollTop = this.list.scrollHeight; // follow the output unless scrolled back
  }

  /** The lines of a preview run now on screen, in place of the last run's. */
  replace(lines) {
    this.clear();
    for (const line of lines) this.add(line);
  }

  clear() {
    this.list.replaceChildren();
    this.count = 0;
    this.errors = 0;
    this.renderCount();
  }

  renderCount() {
    this.counter.textContent = String(this.count);
    this.counter.classList.toggle("bad", this.errors > 0);
  }
}
