import { barChart } from "./chart.js";
import { series, subtitle, title } from "./data.js";
import "./style.css";

const root = document.getElementById("root");
const card = document.createElement("section");
card.className = "card";
card.innerHTML = `<h1></h1><p class="subtitle"></p>`;
card.querySelector("h1").textContent = title;
card.querySelector(".subtitle").textContent = subtitle;
card.appendChild(barChart(series));
root.appendChild(card);
