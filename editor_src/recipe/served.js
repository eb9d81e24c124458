// Dependency sets a static site has not published, installed on demand by `mkdocs-hybrid serve` (real npm,
// the build's recipe and cache, so the vendor file has the hash a build would give it).

export class ServedPackages {
  constructor(api, recipe) {
    this.api = api;
    this.recipe = recipe;
    this.listings = new Map();
    this.installed = new Map();
  }

  async call(path, init = {}) {
    const response = await fetch(new URL(path, this.api.base), {
      ...init, headers: { ...(init.headers || {}), "X-Hybrid-Token": this.api.token },
    });
    const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
    if (!response.ok) throw new Error(body?.error || `${path}: ${response.status}`);
    return body;
  }

  /** Install (or find) the set and its vendor file; the set's package files, read lazily. Asked once per
   * (dependencies, requested specifiers) in a session: edits that import nothing new cost no request. */
  async install(dependencies, imports, requested) {
    const key = JSON.stringify([Object.entries(dependencies || {}).sort(), requested]);
    if (!this.installed.has(key)) {
      const pending = this.ask(dependencies, imports, requested);
      this.installed.set(key, pending);
      pending.catch(() => this.installed.delete(key));
    }
    return this.installed.get(key);
  }

  async ask(dependencies, imports, requested) {
    const answer = await this.call("dependencies", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ dependencies, imports }),
    });
    const set = answer.set;
    const known = this.recipe.sets.find((s) => s.key === set.key);
    if (known) known.vendors.push(...set.vendors.filter((v) => !known.vendors.some((k) => k.path === v.path)));
    else this.recipe.sets.push(set);
    const vendor = set.vendors.find((v) => JSON.stringify(v.requested) === JSON.stringify(requested));
    return { key: set.key, vendor, files: await this.files(answer.files_url) };
  }

  async files(url) {
    if (!this.listings.has(url)) {
      const listing = await this.call(url);
      this.listings.set(url, listing.map((path) => [path, 0, async () => { // size 0: known once read (fstat loads)
        const response = await fetch(new URL(path.split("/").map(encodeURIComponent).join("/"), new URL(url, this.api.base)),
          { headers: { "X-Hybrid-Token": this.api.token } });
        if (!response.ok) throw new Error(`${path}: ${response.status}`);
        return new Uint8Array(await response.arrayBuffer());
      }]));
    }
    return this.listings.get(url);
  }
}
