import { createParticles, draw, step } from "./particles.js";
import { createControls } from "./controls.js";

const canvas = document.getElementById("scene");
const ctx = canvas.getContext("2d");
const pointer = { x: 0, y: 0, active: false };
let width = 0;
let height = 0;
let particles = [];
let running = true;
let settings = { count: 120, link: 130, trails: false };

function resize() {
  const dpr = window.devicePixelRatio || 1;
  width = window.innerWidth;
  height = window.innerHeight;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  particles = createParticles(settings.count, width, height);
}

function background(alpha) {
  const gradient = ctx.createRadialGradient(width / 2, height / 2, 0, width / 2, height / 2, Math.max(width, height));
  gradient.addColorStop(0, `rgba(26, 22, 64, ${alpha})`);
  gradient.addColorStop(1, `rgba(7, 10, 22, ${alpha})`);
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, width, height);
}

function frame() {
  background(settings.trails ? 0.18 : 1);
  step(particles, width, height, pointer);
  draw(ctx, particles, settings.link);
  if (running) requestAnimationFrame(frame);
}

settings = createControls(document.body, settings, (next) => {
  if (next.count !== particles.length) {
    particles =
      next.count > particles.length
        ? particles.concat(createParticles(next.count - particles.length, width, height))
        : particles.slice(0, next.count);
  }
  settings = next;
});

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
