// The page's side of the build worker: one build in flight and only the newest request pending, as in the
// esbuild and Svelte playgrounds (an edit made while a build runs replaces any edit still waiting).

export class Builder {
  constructor({ workerUrl, wasmUrl, recipeUrl, api = null }) {
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
    this.worker.postMessage({ type: "init", recipeUrl: String(recipeUrl), wasmUrl: String(wasmUrl), api });
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
    this.ready.then(() => this.worker.postMessage({ type: "build", ...this.inFlight }));
  }

  finished(result) {
    this.inFlight = null;
    if (this.pending) this.sendPending();
    this.onresult(result);
  }
}
