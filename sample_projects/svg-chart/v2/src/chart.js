import { el, fmt, niceScale } from "./svg.js";

// Bars for `current`, a dashed line for `previous`; calls onHover(index | null, event).
export function comboChart({ labels, current, previous }, onHover, { width = 720, height = 340 } = {}) {
  const margin = { top: 16, right: 16, bottom: 34, left: 56 };
  const w = width - margin.left - margin.right;
  const h = height - margin.top - margin.bottom;
  const { max, step } = niceScale(Math.max(...current, ...previous));
  const y = (v) => h - (v / max) * h;
  const band = w / labels.length;
  const cx = (i) => i * band + band / 2;

  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart" });
  const g = el("g", { transform: `translate(${margin.left},${margin.top})` });
  svg.appendChild(g);

  for (let v = 0; v <= max; v += step) {
    g.appendChild(el("line", { x1: 0, x2: w, y1: y(v), y2: y(v), class: "grid" }));
    g.appendChild(el("text", { x: -10, y: y(v), class: "tick y" }, fmt(v)));
  }

  current.forEach((v, i) => {
    const bar = el("rect", {
      x: cx(i) - band * 0.32,
      y: y(v),
      width: band * 0.64,
      height: h - y(v),
      rx: 4,
      class: "bar",
      style: `animation-delay: ${i * 40}ms`,
    });
    g.appendChild(bar);
    g.appendChild(el("text", { x: cx(i), y: h + 22, class: "tick x" }, labels[i]));
  });

  const path = previous.map((v, i) => `${i ? "L" : "M"}${cx(i).toFixed(1)},${y(v).toFixed(1)}`).join("");
  g.appendChild(el("path", { d: path, class: "trend" }));
  previous.forEach((v, i) => g.appendChild(el("circle", { cx: cx(i), cy: y(v), r: 3.5, class: "dot" })));

  // Full-height invisible hit areas make hovering easy on small bars.
  labels.forEach((_, i) => {
    const hit = el("rect", { x: i * band, y: 0, width: band, height: h, class: "hit" });
    hit.addEventListener("pointerenter", (e) => onHover(i, e));
    hit.addEventListener("pointermove", (e) => onHover(i, e));
    hit.addEventListener("pointerleave", () => onHover(null));
    g.appendChild(hit);
  });

  return svg;
}
