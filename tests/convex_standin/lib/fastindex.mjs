// Speed only, same answers: convex-test resolves every index range by scanning the whole table (its DatabaseFake
// visits every document and tests the range on each), so a save into a store of 10,000 versions cost ~40 ms and
// seeding 10,000 took 7 minutes. Here an index range that starts with an equality on a top-level string field
// (by_thread, by_thread_version, by_thread_seq...) only visits the committed documents holding that string, plus
// every document written in the open transaction; convex-test still applies every range filter, sorts and
// paginates as before, so what a query returns is unchanged.
//
// DatabaseFake is not exported: its prototype is reached through the backend's store in convex-test's
// AsyncLocalStorage, read from inside a t.run() handler. When that is not found, nothing is patched (slower only).
import { executionAsyncResource } from "node:async_hooks";

const PATCHED = Symbol("standin-fast-index");
const BUCKETS = Symbol("standin-eq-buckets");
const DONE = Symbol("standin-fast-index-installed");

function findDatabase() {
  const resource = executionAsyncResource();
  for (const key of Object.getOwnPropertySymbols(resource)) {
    const db = resource[key]?.components?.[""]?.db;
    if (db !== undefined && typeof db._resolveQuerySource === "function" && db._tableIds instanceof Map) return db;
  }
  return null;
}

function tableOf(id) {
  const match = /^[0-9]+/.exec(id);
  return match === null || match[0].length === id.length ? null : id.slice(match[0].length);
}

/** {table: {field: Map<string value, Set<id>>}} for committed documents, built on first use of (table, field). */
function bucketsFor(db, table, field) {
  db[BUCKETS] ??= new Map();
  let fields = db[BUCKETS].get(table);
  if (fields === undefined) db[BUCKETS].set(table, (fields = new Map()));
  let buckets = fields.get(field);
  if (buckets === undefined) {
    fields.set(field, (buckets = new Map()));
    for (const id of db._tableIds.get(table) ?? []) add(buckets, db._documents[id]?.[field], id);
  }
  return buckets;
}

function add(buckets, value, id) {
  if (typeof value !== "string") return;
  let ids = buckets.get(value);
  if (ids === undefined) buckets.set(value, (ids = new Set()));
  ids.add(id);
}

function reindex(db, ids, remove) {
  for (const id of ids) {
    const fields = db[BUCKETS]?.get(tableOf(id));
    if (fields === undefined) continue;
    for (const [field, buckets] of fields) {
      const value = db._documents[id]?.[field];
      if (remove) buckets.get(value)?.delete(id);
      else add(buckets, value, id);
    }
  }
}

function patch(proto) {
  const resolve = proto._resolveQuerySource;
  const iterate = proto._iterateDocs;
  const commit = proto.commit;
  proto._resolveQuerySource = function (query) {
    const source = query.source;
    const eq = source.type === "IndexRange" ? source.range.find((f) => f.type === "Eq") : undefined;
    if (eq === undefined || typeof eq.value !== "string" || eq.fieldPath.includes(".") || eq.fieldPath.startsWith("_")) {
      return resolve.call(this, query);
    }
    const table = source.indexName.split(".")[0];
    this[PATCHED] = { table, ids: bucketsFor(this, table, eq.fieldPath).get(eq.value) ?? new Set() };
    try {
      return resolve.call(this, query);
    } finally {
      this[PATCHED] = undefined;
    }
  };
  proto._iterateDocs = function (tableName, callback) {
    const narrow = this[PATCHED];
    if (narrow === undefined || narrow.table !== tableName) return iterate.call(this, tableName, callback);
    const ids = new Set(narrow.ids);
    for (const writes of this._writes) {
      for (const id of Object.keys(writes)) if (tableOf(id) === tableName) ids.add(id);
    }
    for (const id of ids) {
      const document = this.get(tableName, id);
      if (document !== null) callback(document);
    }
  };
  proto.commit = function (commitTs = null) {
    const topLevel = this._writes.length === 1 ? Object.keys(this._writes[0]) : [];
    reindex(this, topLevel, true);
    const result = commit.call(this, commitTs);
    reindex(this, topLevel, false);
    return result;
  };
}

/** Patch the DatabaseFake class behind convex-test backend `t`; true when it was found. */
export async function speedUpIndexRanges(t) {
  let db = null;
  await t.run(async () => {
    db = findDatabase();
    return null;
  });
  if (db === null) return false;
  const proto = Object.getPrototypeOf(db);
  if (!proto[DONE]) {
    patch(proto);
    proto[DONE] = true;
  }
  return true;
}
