import { createParticles, draw, step } from "./particles.js";

const canvas = document.getElementById("scene");
const ctx = canvas.getContext("2d");
const pointer = { x: 0, y: 0, active: false };
let width = 0;
let height = 0;
let particles = [];
let running = true;

function resize() {
  const dpr = window.devicePixelRatio || 1;
  width = window.innerWidth;
  height = window.innerHeight;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const count = Math.round(Math.min(150, (width * height) / 8000));
  particles = createParticles(count, width, height);
}

function frame() {
  const gradient = ctx.createRadialGradient(width / 2, height / 2, 0, width / 2, height / 2, Math.max(width, height));
  gradient.addColorStop(0, "#1a1640");
  gradient.addColorStop(1, "#070a16");
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, width, height);
  step(particles, width, height, pointer);
  draw(ctx, particles, 130);
  if (running) requestAnimationFrame(frame);
}

canvas.addEventListener("pointermove", (e) => {
  pointer.x = e.clientX;
  pointer.y = e.clientY;
  pointer.active = true;
});
canvas.addEventListener("pointerleave", () => {
  pointer.active = false;
});
document.addEventListener("visibilitychange", () => {
  const wasRunning = running;
  running = !document.hidden;
  if (running && !wasRunning) requestAnimationFrame(frame);
});
window.addEventListener("resize", resize);

resize();
frame();
