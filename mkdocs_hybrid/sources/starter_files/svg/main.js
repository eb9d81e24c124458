const data = [["Mon", 32], ["Tue", 45], ["Wed", 28], ["Thu", 52], ["Fri", 61], ["Sat", 38], ["Sun", 24]];
const svg = document.getElementById("chart");
const SVG = "http://www.w3.org/2000/svg";
const max = Math.max(...data.map(([, value]) => value));
const barWidth = 420 / data.length;

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return svg.appendChild(node);
}

data.forEach(([day, value], i) => {
  const height = (value / max) * 190;
  element("rect", { x: i * barWidth + 8, y: 210 - height, width: barWidth - 16, height, rx: 4, class: "bar" });
  element("text", { x: i * barWidth + barWidth / 2, y: 230, "text-anchor": "middle" }, day);
  element("text", { x: i * barWidth + barWidth / 2, y: 204 - height, "text-anchor": "middle" }, value);
});
