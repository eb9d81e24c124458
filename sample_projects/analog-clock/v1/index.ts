import { faceMarkup, handAngles } from "./clock";
import "./style.css";

const ZONES: { city: string; zone: string }[] = [
  { city: "San Francisco", zone: "America/Los_Angeles" },
  { city: "London", zone: "Europe/London" },
  { city: "Tokyo", zone: "Asia/Tokyo" },
];

const root = document.getElementById("root") as HTMLElement;
root.innerHTML = `
  <main class="wrap">
    ${faceMarkup()}
    <p class="digital"></p>
    <p class="date"></p>
    <ul class="zones">${ZONES.map((z) => `<li><span>${z.city}</span><strong data-zone="${z.zone}"></strong></li>`).join("")}</ul>
  </main>`;

const hour = root.querySelector<SVGElement>(".hour")!;
const minute = root.querySelector<SVGElement>(".minute")!;
const second = root.querySelector<SVGElement>(".second")!;
const digital = root.querySelector<HTMLElement>(".digital")!;
const dateLine = root.querySelector<HTMLElement>(".date")!;
const zoneCells = Array.from(root.querySelectorAll<HTMLElement>("[data-zone]"));

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });
const zoneFmts = zoneCells.map(
  (cell) => new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: cell.dataset.zone }),
);

let lastSecond = -1;

function tick(): void {
  const now = new Date();
  const a = handAngles(now);
  hour.setAttribute("transform", `rotate(${a.hour})`);
  minute.setAttribute("transform", `rotate(${a.minute})`);
  second.setAttribute("transform", `rotate(${a.second})`);
  if (now.getSeconds() !== lastSecond) {
    lastSecond = now.getSeconds();
    digital.textContent = timeFmt.format(now);
    dateLine.textContent = dateFmt.format(now);
    zoneCells.forEach((cell, i) => (cell.textContent = zoneFmts[i].format(now)));
  }
  requestAnimationFrame(tick);
}

tick();
