const canvas = document.getElementById("scene");
const ctx = canvas.getContext("2d");
const balls = Array.from({ length: 24 }, (_, i) => ({
  x: 40 + ((i * 97) % 600), y: 40 + ((i * 53) % 400),
  dx: 1.5 + (i % 5) * 0.4, dy: 1.2 + (i % 3) * 0.5,
  r: 8 + (i % 4) * 4, hue: (i * 37) % 360,
}));

function resize() {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(window.innerWidth * dpr);
  canvas.height = Math.round(window.innerHeight * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
}

function frame() {
  const width = window.innerWidth;
  const height = window.innerHeight;
  ctx.clearRect(0, 0, width, height);
  for (const ball of balls) {
    ball.x += ball.dx;
    ball.y += ball.dy;
    if (ball.x < ball.r || ball.x > width - ball.r) ball.dx = -ball.dx;
    if (ball.y < ball.r || ball.y > height - ball.r) ball.dy = -ball.dy;
    ctx.beginPath();
    ctx.arc(ball.x, ball.y, ball.r, 0, Math.PI * 2);
    ctx.fillStyle = `hsl(${ball.hue} 70% 55%)`;
    ctx.fill();
  }
  requestAnimationFrame(frame);
}

window.addEventListener("resize", resize);
resize();
requestAnimationFrame(frame);
