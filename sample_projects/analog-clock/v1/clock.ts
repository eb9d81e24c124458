export interface Hands {
  hour: number;
  minute: number;
  second: number;
}

// Angles in degrees for a given time; the second hand sweeps smoothly.
export function handAngles(date: Date): Hands {
  const s = date.getSeconds() + date.getMilliseconds() / 1000;
  const m = date.getMinutes() + s / 60;
  const h = (date.getHours() % 12) + m / 60;
  return { hour: h * 30, minute: m * 6, second: s * 6 };
}

export function faceMarkup(): string {
  const ticks: string[] = [];
  for (let i = 0; i < 60; i++) {
    const major = i % 5 === 0;
    ticks.push(
      `<line class="${major ? "tick major" : "tick"}" x1="0" y1="${major ? -84 : -88}" x2="0" y2="-93" transform="rotate(${i * 6})"/>`,
    );
  }
  const numbers = Array.from({ length: 12 }, (_, i) => {
    const n = i + 1;
    const a = (n * 30 * Math.PI) / 180;
    return `<text class="num" x="${(Math.sin(a) * 72).toFixed(1)}" y="${(-Math.cos(a) * 72).toFixed(1)}">${n}</text>`;
  });
  return `
    <svg viewBox="-100 -100 200 200" class="clock" role="img" aria-label="Analog clock">
      <circle class="rim" r="98"/>
      <circle class="face" r="95"/>
      ${ticks.join("")}
      ${numbers.join("")}
      <line class="hand hour" x1="0" y1="10" x2="0" y2="-48"/>
      <line class="hand minute" x1="0" y1="12" x2="0" y2="-70"/>
      <g class="hand second"><line x1="0" y1="18" x2="0" y2="-80"/><circle r="4"/></g>
      <circle class="pin" r="2"/>
    </svg>`;
}
