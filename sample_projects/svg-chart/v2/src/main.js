import { comboChart } from "./chart.js";
import { fmt } from "./svg.js";
import { months, subtitle, title, years } from "./data/coffee.js";
import "./styles/chart.css";

const current = years[2025];
const previous = years[2024];
const total = (xs) => xs.reduce((a, b) => a + b, 0);
const best = current.indexOf(Math.max(...current));
const growth = ((total(current) - total(previous)) / total(previous)) * 100;

const root = document.getElementById("root");
root.innerHTML = `
  <section class="card">
    <header>
      <div><h1></h1><p class="subtitle"></p></div>
      <ul class="legend">
        <li><span class="swatch bar-swatch"></span>2025</li>
        <li><span class="swatch line-swatch"></span>2024</li>
      </ul>
    </header>
    <div class="stats">
      <div><strong>${fmt(total(current))}</strong><span>cups in 2025</span></div>
      <div><strong>${months[best]}</strong><span>busiest month</span></div>
      <div><strong class="up">+${growth.toFixed(1)}%</strong><span>vs. 2024</span></div>
    </div>
    <div class="plot"><div class="tooltip" hidden></div></div>
  </section>`;
root.querySelector("h1").textContent = title;
root.querySelector(".subtitle").textContent = subtitle;

const plot = root.querySelector(".plot");
const tooltip = root.querySelector(".tooltip");

function onHover(i, event) {
  if (i === null) {
    tooltip.hidden = true;
    return;
  }
  const delta = ((current[i] - previous[i]) / previous[i]) * 100;
  tooltip.innerHTML = `<b>${months[i]}</b><br>2025: ${fmt(current[i])}<br>2024: ${fmt(previous[i])}<br><em>${delta >= 0 ? "+" : ""}${delta.toFixed(1)}%</em>`;
  const box = plot.getBoundingClientRect();
  tooltip.style.left = `${Math.min(event.clientX - box.left + 14, box.width - 130)}px`;
  tooltip.style.top = `${event.clientY - box.top - 10}px`;
  tooltip.hidden = false;
}

plot.appendChild(comboChart({ labels: months, current, previous }, onHover));
