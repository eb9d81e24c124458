// Ask the HTML parser for the SVG namespace instead of hard-coding it.
const probe = document.createElement("div");
probe.innerHTML = "<svg></svg>";
const NS = probe.firstChild.namespaceURI;

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Pick a "nice" tick step (1, 2, 2.5 or 5 x 10^n) and round the maximum up to it.
function niceMax(value, ticks) {
  const raw = value / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { max: Math.ceil(value / step) * step, step };
}

export function barChart(data, { width = 720, height = 360 } = {}) {
  const margin = { top: 20, right: 16, bottom: 36, left: 56 };
  const innerW = width - margin.left - margin.right;
  const innerH = height - margin.top - margin.bottom;
  const { max, step } = niceMax(Math.max(...data.map((d) => d.value)), 5);
  const y = (v) => innerH - (v / max) * innerH;
  const band = innerW / data.length;

  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart" });
  const g = el("g", { transform: `translate(${margin.left},${margin.top})` });
  svg.appendChild(g);

  for (let v = 0; v <= max; v += step) {
    g.appendChild(el("line", { x1: 0, x2: innerW, y1: y(v), y2: y(v), class: "grid" }));
    g.appendChild(el("text", { x: -10, y: y(v), class: "tick y" }, v.toLocaleString("en-US")));
  }

  data.forEach((d, i) => {
    const x = i * band + band * 0.15;
    const bar = el("rect", {
      x,
      y: y(d.value),
      width: band * 0.7,
      height: innerH - y(d.value),
      rx: 4,
      class: "bar",
    });
    bar.appendChild(el("title", {}, `${d.label}: ${d.value.toLocaleString("en-US")}`));
    g.appendChild(bar);
    g.appendChild(el("text", { x: x + band * 0.35, y: innerH + 22, class: "tick x" }, d.label));
  });

  return svg;
}
