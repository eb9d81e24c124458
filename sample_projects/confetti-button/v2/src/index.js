import { burst, stars } from "./effects.js";
import { REASONS, createKudos, renderKudos } from "./kudos.js";
import "./style.css";

const root = document.getElementById("root");
root.innerHTML = `
  <main class="card">
    <p class="badge">Team kudos</p>
    <h1>Who deserves a cheer?</h1>
    <div class="composer">
      <input name="name" placeholder="Name" aria-label="Name" maxlength="32" />
      <select name="reason" aria-label="Reason"></select>
      <button class="primary">Send kudos</button>
    </div>
    <ul class="wall"></ul>
    <p class="count"><span>0</span> kudos sent this week</p>
  </main>`;

const nameInput = root.querySelector("input[name=name]");
const reasonSelect = root.querySelector("select[name=reason]");
const sendButton = root.querySelector(".composer button");
const wall = root.querySelector(".wall");
const counter = root.querySelector(".count span");

for (const reason of REASONS) reasonSelect.add(new Option(reason, reason));

function add(name, reason, celebrate) {
  const item = renderKudos(createKudos(name, reason));
  wall.prepend(item);
  while (wall.children.length > 5) wall.lastElementChild.remove();
  counter.textContent = String(Number(counter.textContent) + 1);
  if (celebrate) {
    const box = item.getBoundingClientRect();
    burst({ x: (box.left + 40) / innerWidth, y: (box.top + box.height / 2) / innerHeight });
    if (reason === "shipped it") stars();
  }
}

function send() {
  const name = nameInput.value.trim();
  if (!name) {
    nameInput.focus();
    nameInput.classList.add("shake");
    setTimeout(() => nameInput.classList.remove("shake"), 400);
    return;
  }
  add(name, reasonSelect.value, true);
  nameInput.value = "";
}

sendButton.addEventListener("click", send);
nameInput.addEventListener("keydown", (e) => {
  if (e.key === "Enter") send();
});

add("Jun Park", "wrote great docs", false);
add("Amara Obi", "fixed the flaky test", false);
add("Lena Vogel", "shipped it", false);
setTimeout(() => burst({ x: 0.5, y: 0.4 }), 250);
