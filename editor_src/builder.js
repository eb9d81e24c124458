// The page's side of the build worker: one build in flight and only the newest request pending, as in the
// esbuild and Svelte playgrounds (an edit made while a build runs replaces any edit still waiting).

export class Builder {
  /** `gate`: a promise before which the worker builds nothing (not even its warm-up): main.js holds it while a
   * preview from published files is being drawn. */
  constructor({ workerUrl, wasmUrl, recipeUrl, api = null, warm = true, gate = null }) {
    this.gate = gate ?? Promise.resolve();
    this.worker = new Worker(workerUrl, { type: "module" });
    this.onresult = () => {};
    this.inFlight = null;
    this.pending = null;
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = ({ data }) => {
        if (data.type === "ready") resolve({ esbuild: data.esbuild, timings: data.timings });
        else if (data.type === "fatal") reject(new Error(data.message));
        else if (data.type === "result") this.finished(data);
      };
      this.worker.onerror = (event) => reject(new Error(event.message || "the build worker failed to start"));
    });
    this.worker.postMessage({ type: "init", recipeUrl: String(recipeUrl), wasmUrl: String(wasmUrl), api,
      warm: false });
    if (warm) this.gate.then(() => this.worker.postMessage({ type: "warm" })); // before any build (worker.js)
  }

  /** Ask for a build of `snapshot`; returns its id (a result may be skipped for a newer request). */
  request(snapshot) {
    const id = this.nextId++;
    this.pending = { id, snapshot };
    if (this.inFlight === null) this.sendPending();
    return id;
  }

  /** Build `snapshot` now and resolve with its result (for tests and for saving). */
  build(snapshot) {
    return new Promise((resolve) => {
      const id = this.request(snapshot);
      const previous = this.onresult;
      this.onresult = (result) => {
        previous(result);
        if (result.id >= id) {
          this.onresult = previous;
          resolve(result);
        }
      };
    });
  }

  sendPending() {
    const job = (this.inFlight = this.pending);
    this.pending = null;
    // Not waiting for "ready": the worker queues it behind its start (worker.js).
    this.gate.then(() => this.worker.postMessage({ type: "build", ...job }));
  }

  finished(result) {
    this.inFlight = null;
    if (this.pending) this.sendPending();
    this.onresult(result);
  }
}
