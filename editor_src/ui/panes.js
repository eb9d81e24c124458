// Resizable panes: the separators between files | code | preview and between code and the problems and
// console panes. Drag them, or focus one and use the arrow keys (Home and End go to the limits); each is a
// WAI-ARIA window splitter (role="separator", aria-valuenow). The sizes are CSS custom properties on the
// page's grid, remembered in localStorage.

const STORAGE_KEY = "mkdocs-hybrid-editor-panes";
const KEY_STEP = { px: 16, percent: 2 };

// files: the files pane's width in px; code: the code pane's share of code + preview in percent;
// bottom: the height of the problems and console panes in px.
const LIMITS = {
  files: { min: 120, max: 480, unit: "px", initial: 210 },
  code: { min: 15, max: 85, unit: "percent", initial: 50 },
  bottom: { min: 60, max: 640, unit: "px", initial: null }, // null: the stylesheet's 22vh until moved
};

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") ?? {};
  } catch (error) {
    return {}; // unreadable or blocked storage: the stylesheet's sizes
  }
}

export class Panes {
  /** `app`: the grid; `separators`: {files, code, bottom} elements; `measure`: {files, code, preview, bottom}
   * elements whose current size starts a drag. */
  constructor(app, separators, measure) {
    this.app = app;
    this.separators = separators;
    this.measure = measure;
    this.sizes = {};
    const saved = remembered();
    for (const [name, separator] of Object.entries(separators)) {
      const { min, max } = LIMITS[name];
      separator.setAttribute("aria-valuemin", String(min));
      separator.setAttribute("aria-valuemax", String(max));
      this.wire(name, separator);
      const value = Number(saved[name]);
      this.set(name, Number.isFinite(value) && saved[name] !== null ? value : null, { save: false });
    }
  }

  /** The size of one pane now (what the stylesheet gave it, until it was moved). */
  current(name) {
    if (this.sizes[name] !== undefined && this.sizes[name] !== null) return this.sizes[name];
    if (name === "files") return Math.round(this.measure.files.getBoundingClientRect().width);
    if (name === "bottom") return Math.round(this.measure.bottom.getBoundingClientRect().height);
    const code = this.measure.code.getBoundingClientRect().width;
    const preview = this.measure.preview.getBoundingClientRect().width;
    return Math.round((100 * code) / Math.max(1, code + preview));
  }

  set(name, value, { save = true } = {}) {
    const { min, max, initial } = LIMITS[name];
    const size = value === null ? initial : Math.round(Math.min(max, Math.max(min, value)));
    this.sizes[name] = size;
    const style = this.app.style;
    if (name === "files" && size !== null) style.setProperty("--files-width", `${size}px`);
    if (name === "bottom" && size !== null) style.setProperty("--bottom-height", `${size}px`);
    if (name === "code") {
      style.setProperty("--code-fr", `${size}fr`);
      style.setProperty("--preview-fr", `${100 - size}fr`);
    }
    const shown = size ?? this.current(name);
    const separator = this.separators[name];
    separator.setAttribute("aria-valuenow", String(shown));
    separator.setAttribute("aria-valuetext", LIMITS[name].unit === "px" ? `${shown} pixels` : `${shown} percent`);
    if (save) this.save();
  }

  save() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(this.sizes));
    } catch (error) {
      // Storage full or blocked: the sizes last for this page only.
    }
  }

  wire(name, separator) {
    separator.addEventListener("keydown", (event) => this.key(name, event));
    separator.addEventListener("pointerdown", (event) => this.drag(name, separator, event));
  }

  key(name, event) {
    const { min, max, unit } = LIMITS[name];
    const step = KEY_STEP[unit] * (event.shiftKey ? 4 : 1);
    // The bottom separator moves up to make the bottom panes taller, as the arrow points.
    const grow = name === "bottom" ? { ArrowUp: step, ArrowDown: -step } : { ArrowRight: step, ArrowLeft: -step };
    if (event.key in grow) this.set(name, this.current(name) + grow[event.key]);
    else if (event.key === "Home") this.set(name, min);
    else if (event.key === "End") this.set(name, max);
    else return;
    event.preventDefault();
  }

  drag(name, separator, event) {
    if (event.button !== 0) return;
    event.preventDefault();
    separator.focus();
    separator.setPointerCapture(event.pointerId);
    const start = { x: event.clientX, y: event.clientY, size: this.current(name) };
    const code = this.measure.code.getBoundingClientRect().width;
    const both = code + this.measure.preview.getBoundingClientRect().width;
    this.app.classList.add("resizing");
    separator.classList.add("dragging");
    const move = (moved) => {
      const dx = moved.clientX - start.x;
      const dy = moved.clientY - start.y;
      if (name === "files") this.set(name, start.size + dx, { save: false });
      else if (name === "bottom") this.set(name, start.size - dy, { save: false });
      else this.set(name, (100 * (code + dx)) / Math.max(1, both), { save: false });
    };
    const end = () => {
      separator.removeEventListener("pointermove", move);
      this.app.classList.remove("resizing");
      separator.classList.remove("dragging");
      this.save();
    };
    separator.addEventListener("pointermove", move);
    separator.addEventListener("pointerup", end, { once: true });
    separator.addEventListener("pointercancel", end, { once: true });
  }
}
