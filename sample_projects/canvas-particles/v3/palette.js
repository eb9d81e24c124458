export const PALETTE = ["#7dd3fc", "#a78bfa", "#f472b6", "#fcd34d", "#6ee7b7"];

export function pick(palette = PALETTE) {
  return palette[Math.floor(Math.random() * palette.length)];
}

export function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha.toFixed(3)})`;
}
