import { pick, withAlpha } from "./palette.js";

export function createParticles(count, width, height) {
  return Array.from({ length: count }, () => ({
    x: Math.random() * width,
    y: Math.random() * height,
    vx: (Math.random() - 0.5) * 0.7,
    vy: (Math.random() - 0.5) * 0.7,
    r: 1.4 + Math.random() * 2.2,
    color: pick(),
  }));
}

// pointer: {x, y, active}; particles within `radius` are pushed away.
export function step(particles, width, height, pointer, radius = 140) {
  for (const p of particles) {
    if (pointer.active) {
      const dx = p.x - pointer.x;
      const dy = p.y - pointer.y;
      const d = Math.hypot(dx, dy);
      if (d > 0 && d < radius) {
        const force = (1 - d / radius) * 0.6;
        p.vx += (dx / d) * force;
        p.vy += (dy / d) * force;
      }
    }
    // friction towards a gentle cruising speed
    const speed = Math.hypot(p.vx, p.vy);
    if (speed > 0.8) {
      p.vx *= 0.96;
      p.vy *= 0.96;
    }
    p.x += p.vx;
    p.y += p.vy;
    if (p.x < 0 || p.x > width) p.vx *= -1;
    if (p.y < 0 || p.y > height) p.vy *= -1;
    p.x = Math.min(Math.max(p.x, 0), width);
    p.y = Math.min(Math.max(p.y, 0), height);
  }
}

export function draw(ctx, particles, linkDistance) {
  const max2 = linkDistance * linkDistance;
  ctx.lineWidth = 1;
  for (let i = 0; i < particles.length; i++) {
    const a = particles[i];
    for (let j = i + 1; j < particles.length; j++) {
      const b = particles[j];
      const dx = a.x - b.x;
      const dy = a.y - b.y;
      const d2 = dx * dx + dy * dy;
      if (d2 < max2) {
        const gradient = ctx.createLinearGradient(a.x, a.y, b.x, b.y);
        const alpha = (1 - d2 / max2) * 0.55;
        gradient.addColorStop(0, withAlpha(a.color, alpha));
        gradient.addColorStop(1, withAlpha(b.color, alpha));
        ctx.strokeStyle = gradient;
        ctx.beginPath();
        ctx.moveTo(a.x, a.y);
        ctx.lineTo(b.x, b.y);
        ctx.stroke();
      }
    }
  }
  for (const p of particles) {
    ctx.shadowColor = p.color;
    ctx.shadowBlur = 8;
    ctx.fillStyle = p.color;
    ctx.beginPath();
    ctx.arc(p.x, p.y, p.r, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.shadowBlur = 0;
}
