import { createParticles, draw, step } from "./particles.js";

const canvas = document.getElementById("scene");
const ctx = canvas.getContext("2d");
let width = 0;
let height = 0;
let particles = [];

function resize() {
  const dpr = window.devicePixelRatio || 1;
  width = window.innerWidth;
  height = window.innerHeight;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const count = Math.round(Math.min(140, (width * height) / 9000));
  particles = createParticles(count, width, height);
}

function frame() {
  const gradient = ctx.createLinearGradient(0, 0, width, height);
  gradient.addColorStop(0, "#0b1020");
  gradient.addColorStop(1, "#1b1240");
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, width, height);
  step(particles, width, height);
  draw(ctx, particles, 120);
  requestAnimationFrame(frame);
}

window.addEventListener("resize", resize);
resize();
frame();
