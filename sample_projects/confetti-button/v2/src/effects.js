import confetti from "canvas-confetti";

const COLORS = ["#ff5e7e", "#ffd166", "#06d6a0", "#4cc9f0", "#9b5de5"];

// Our own canvas and no worker: a sandboxed preview may refuse blob workers.
const canvas = document.createElement("canvas");
canvas.className = "confetti-layer";
document.body.appendChild(canvas);
const fire = confetti.create(canvas, { resize: true, useWorker: false, disableForReducedMotion: true });

export function burst(origin = { x: 0.5, y: 0.55 }) {
  fire({ particleCount: 120, spread: 80, startVelocity: 42, origin, colors: COLORS });
}

export function cannons() {
  const shot = { particleCount: 70, spread: 60, startVelocity: 55, colors: COLORS };
  fire({ ...shot, angle: 60, origin: { x: 0, y: 0.8 } });
  fire({ ...shot, angle: 120, origin: { x: 1, y: 0.8 } });
}

export function stars() {
  const shot = { spread: 360, ticks: 70, gravity: 0.2, decay: 0.94, startVelocity: 26, shapes: ["star"], colors: ["#ffd166", "#ffb703", "#fff3b0"] };
  fire({ ...shot, particleCount: 40, scalar: 1.2 });
  setTimeout(() => fire({ ...shot, particleCount: 20, scalar: 0.75 }), 120);
}
