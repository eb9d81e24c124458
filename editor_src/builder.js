// The page's side of the build worker: one build in flight and only the newest request pending, as in the
// esbuild and Svelte playgrounds (an edit made while a build runs replaces any edit still waiting).

export class Builder {
  /** `boot`: the worker editor.html already started (it asked it to compile the .wasm) and the events it sent
   * before this took it over; null to start one here. */
  constructor({ workerUrl, wasmUrl, recipeUrl, api = null, warm = true, boot = null }) {
    this.worker = boot?.worker ?? new Worker(workerUrl, { type: "module" });
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
      for (const event of boot?.early ?? []) (event.type === "error" ? this.worker.onerror : this.worker.onmessage)(event);
    });
    this.worker.postMessage({ type: "init", recipeUrl: String(recipeUrl), wasmUrl: String(wasmUrl), api, warm });
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
    this.inFlight = this.pending;
    this.pending = null;
    // Sent now: the worker queues it behind its start (worker.js), so nothing waits for "ready" here.
    this.worker.postMessage({ type: "build", ...this.inFlight });
  }

  finished(result) {
    this.inFlight = null;
    if (this.pending) this.sendPending();
    this.onresult(result);
  }
}
