// The virtual clock of a media capture (mkdocs_hybrid/media/_capture.py), run before any of the demo's code.
// Time only moves when the capture calls __mkdocsHybridClock.step(ms): timers and requestAnimationFrame
// callbacks run then, in order, and every CSS animation, transition, Web Animation and SVG SMIL timeline is
// paused and seeked to the virtual time, so a frame is a function of its time and the bytes repeat.
(() => {
  "use strict";
  const EPOCH = 1767225600000; // 2026-01-01T00:00:00Z: what Date says at virtual time 0
  const MAX_TIMERS_PER_STEP = 10000; // a demo re-arming setTimeout(f, 0) forever must not hang a step
  const realSetTimeout = window.setTimeout.bind(window);
  const RealDate = Date;
  const realRequestAnimationFrame = window.requestAnimationFrame.bind(window);
  let now = 0;
  let nextId = 1;
  const timers = new Map(); // id -> {due, seq, fn, args, every}
  let seq = 0;
  let frameCallbacks = new Map(); // id -> fn, run at the next step
  const animationBase = new WeakMap(); // Animation -> virtual ms when first seen
  const svgBase = new WeakMap(); // outermost <svg> -> virtual ms when first seen
  let pending = 0; // fetches and XHRs in flight: a step waits for them to settle
  // A capture may reuse the tab of an earlier demo: window.name is the one thing a tab keeps across documents.
  if (window === window.top) window.name = "";

  function report(error) {
    try { console.error(error); } catch (_) { /* nothing to do */ }
  }

  // ---- time ---------------------------------------------------------------------------------------
  performance.now = () => now;
  function VirtualDate(...args) {
    if (new.target === undefined) return new RealDate(EPOCH + now).toString();
    return args.length === 0 ? new RealDate(EPOCH + now) : new RealDate(...args);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = () => EPOCH + now;
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  window.Date = VirtualDate;
  let seed = 0x2f6b3a1d;
  Math.random = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  if (window.crypto && crypto.getRandomValues) {
    crypto.getRandomValues = (array) => {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
      return array;
    };
  }

  // ---- input --------------------------------------------------------------------------------------
  // No one moves a mouse in a capture, yet Chromium sends "fake" mouse moves after layout changes, at a real
  // time (measured: a particle demo's pointermove handler ran in some runs only). Trusted pointer and mouse
  // events never reach the demo; this listener is the first on window, in the capture phase.
  for (const type of ["pointermove", "pointerover", "pointerout", "pointerenter", "pointerleave", "pointerrawupdate",
    "mousemove", "mouseover", "mouseout", "mouseenter", "mouseleave"]) {
    window.addEventListener(type, (event) => { if (event.isTrusted) event.stopImmediatePropagation(); }, true);
  }

  // ---- timers and frames --------------------------------------------------------------------------
  function addTimer(fn, delay, args, every) {
    const id = nextId++;
    const wait = Math.max(0, Number(delay) || 0);
    timers.set(id, { due: now + wait, seq: seq++, fn, args, every: every ? Math.max(1, wait) : 0 });
    return id;
  }
  window.setTimeout = (fn, delay, ...args) => addTimer(fn, delay, args, false);
  window.setInterval = (fn, delay, ...args) => addTimer(fn, delay, args, true);
  window.clearTimeout = window.clearInterval = (id) => { timers.delete(id); };
  window.requestAnimationFrame = (fn) => { const id = nextId++; frameCallbacks.set(id, fn); return id; };
  window.cancelAnimationFrame = (id) => { frameCallbacks.delete(id); };

  function nextTimer(limit) {
    let best = null;
    for (const [id, timer] of timers) {
      if (timer.due <= limit && (best === null || timer.due < best[1].due
          || (timer.due === best[1].due && timer.seq < best[1].seq))) best = [id, timer];
    }
    return best;
  }

  function runTimers(limit) {
    for (let fired = 0; fired < MAX_TIMERS_PER_STEP; fired++) {
      const found = nextTimer(limit);
      if (found === null) return;
      const [id, timer] = found;
      now = Math.max(now, timer.due);
      if (timer.every) { timer.due += timer.every; timer.seq = seq++; } else timers.delete(id);
      try {
        if (typeof timer.fn === "function") timer.fn(...timer.args); else (0, eval)(String(timer.fn));
      } catch (error) { report(error); }
    }
  }

  function runFrame(time) {
    const callbacks = frameCallbacks;
    frameCallbacks = new Map();
    for (const fn of callbacks.values()) {
      try { fn(time); } catch (error) { report(error); }
    }
  }

  // ---- animations ---------------------------------------------------------------------------------
  function seekAnimations(time) {
    for (const animation of document.getAnimations()) {
      if (!animationBase.has(animation)) animationBase.set(animation, time);
      try {
        animation.pause();
        animation.currentTime = time - animationBase.get(animation);
      } catch (error) { report(error); }
    }
    for (const svg of document.querySelectorAll("svg")) {
      if (svg.ownerSVGElement !== null || typeof svg.pauseAnimations !== "function") continue;
      if (!svgBase.has(svg)) svgBase.set(svg, time);
      svg.pauseAnimations();
      svg.setCurrentTime((time - svgBase.get(svg)) / 1000);
    }
  }

  // ---- network settling ---------------------------------------------------------------------------
  const realFetch = window.fetch;
  window.fetch = function (...args) {
    pending++;
    const promise = realFetch.apply(this, args);
    promise.then(() => { pending--; }, () => { pending--; });
    return promise;
  };
  const realSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    this.addEventListener("loadend", () => { pending--; }, { once: true });
    const result = realSend.apply(this, args); // throws before counting when the request is invalid
    pending++;
    return result;
  };

  function busy() {
    if (pending > 0) return true;
    for (const image of document.images) if (!image.complete) return true;
    return false;
  }

  async function settle(limitMs) {
    const until = RealDate.now() + limitMs;
    let settled = !busy();
    while (!settled && RealDate.now() < until) {
      await new Promise((resolve) => realSetTimeout(resolve, 5));
      settled = !busy();
    }
    // one real task more: the demo's own handlers of what just settled (onerror, .then) run before the frame
    if (!settled || pending === 0) await new Promise((resolve) => realSetTimeout(resolve, 0));
  }

  // Two real frames: the seeked state is committed and drawn before the capture asks for a screenshot (without
  // it, under load, a screenshot now and then showed part of the previous frame: measured on an SVG chart).
  function painted() {
    return new Promise((resolve) => realRequestAnimationFrame(() => realRequestAnimationFrame(resolve)));
  }

  // ---- the capture's handle -----------------------------------------------------------------------
  const clock = Object.freeze({
    // Before frame 0: fonts, then one frame at t=0 so rAF-driven demos draw their first picture.
    async start(settleMs) {
      await document.fonts.ready;
      await settle(settleMs);
      runFrame(0);
      seekAnimations(0);
      await settle(settleMs);
      await painted();
    },
    // Advance to virtual time `to` (ms) through every frame of a `fps` timeline on the way, then seek.
    async step(to, fps, settleMs) {
      const frame = 1000 / fps;
      let index = Math.floor(now / frame + 1e-6) + 1;
      for (let time = index * frame; time <= to + 1e-6; time = (++index) * frame) {
        runTimers(time);
        now = time;
        runFrame(time);
        seekAnimations(time); // animations made on the way start at their frame, as in a video
      }
      runTimers(to);
      now = to;
      seekAnimations(to);
      if (busy()) await settle(settleMs);
      await painted();
      return now;
    },
  });
  Object.defineProperty(window, "__mkdocsHybridClock", { value: clock, enumerable: false });
})();
