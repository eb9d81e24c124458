// Saving without a server: drafts (one per thread, overwritten as the author types) and immutable versions,
// in the browser's IndexedDB.

const DB_NAME = "mkdocs-hybrid-editor";
const DB_VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Drafts (one per thread, overwritten as the author types) and versions (added once, never replaced). */
export class Store {
  static async open() {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("drafts", { keyPath: "thread" });
      db.createObjectStore("versions", { keyPath: ["thread", "version"] });
    };
    return new Store(await promised(request));
  }

  constructor(db) {
    this.db = db;
  }

  run(storeName, mode, action) {
    const transaction = this.db.transaction(storeName, mode);
    const result = promised(action(transaction.objectStore(storeName)));
    // Resolve once the transaction is committed, so a reload right after sees the write.
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => result.then(resolve, reject);
      transaction.onabort = () => reject(transaction.error);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  saveDraft(draft) {
    return this.run("drafts", "readwrite", (store) => store.put({ ...draft, updated: Date.now() }));
  }

  draft(thread) {
    return this.run("drafts", "readonly", (store) => store.get(thread));
  }

  async lastDraft() {
    const drafts = await this.run("drafts", "readonly", (store) => store.getAll());
    return drafts.sort((a, b) => b.updated - a.updated)[0] ?? null;
  }

  /** Store a new version; `add` (not `put`) makes IndexedDB refuse to overwrite an existing one. */
  async addVersion(snapshot) {
    try {
      await this.run("versions", "readwrite", (store) => store.add(snapshot));
    } catch (error) {
      if (error?.name === "ConstraintError") {
        throw new Error(`${snapshot.thread}/${snapshot.version} is already saved; versions are never overwritten`);
      }
      throw error;
    }
  }

  version(thread, version) {
    return this.run("versions", "readonly", (store) => store.get([thread, version]));
  }

  async versions(thread) {
    const range = IDBKeyRange.bound([thread, ""], [thread, "\uffff"]);
    return this.run("versions", "readonly", (store) => store.getAll(range));
  }
}
