// Ask the HTML parser for the SVG namespace instead of hard-coding it.
const probe = document.createElement("div");
probe.innerHTML = "<svg></svg>";
const NS = probe.firstChild.namespaceURI;

export function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Pick a "nice" tick step (1, 2, 2.5 or 5 x 10^n) and round the maximum up to it.
export function niceScale(value, ticks = 5) {
  const raw = value / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { max: Math.ceil(value / step) * step, step };
}

export const fmt = (n) => n.toLocaleString("en-US");
