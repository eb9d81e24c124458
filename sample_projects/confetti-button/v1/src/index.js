import { burst, cannons, stars } from "./effects.js";
import "./style.css";

const root = document.getElementById("root");
root.innerHTML = `
  <main class="card">
    <p class="badge">v2.0 shipped</p>
    <h1>The release is live!</h1>
    <p class="lede">Months of work, one deploy. Pick a way to celebrate.</p>
    <div class="actions">
      <button class="primary" data-effect="burst">Celebrate</button>
      <button data-effect="cannons">Side cannons</button>
      <button data-effect="stars">Stars</button>
    </div>
    <p class="count"><span>0</span> celebrations so far</p>
  </main>`;

const effects = { burst, cannons, stars };
const counter = root.querySelector(".count span");
let count = 0;

root.querySelector(".actions").addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.effect === "burst") {
    const box = button.getBoundingClientRect();
    burst({ x: (box.left + box.width / 2) / innerWidth, y: (box.top + box.height / 2) / innerHeight });
  } else {
    effects[button.dataset.effect]();
  }
  counter.textContent = String(++count);
});

// A first burst so the page greets you.
setTimeout(() => burst({ x: 0.5, y: 0.45 }), 250);
