// The store's data model (see README.md): threads own their versions; versions are written once, never patched
// or deleted. Files are an ARRAY of {path, ...}: record keys cannot start with "_" and snapshot paths can.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const textFile = v.object({ path: v.string(), text: v.string() });
/** A binary file (an image): its bytes in Convex file storage; sha256 (hex), size and type as the server measured them. */
export const storedFile = v.object({
  path: v.string(),
  storageId: v.id("_storage"),
  sha256: v.string(),
  size: v.number(),
  contentType: v.string(),
});
export const dependency = v.object({ name: v.string(), spec: v.string() });

export default defineSchema({
  threads: defineTable({
    thread: v.string(),
    title: v.string(),
    description: v.string(),
    tags: v.array(v.string()),
    owner: v.string(), // the tokenIdentifier of the identity whose save created the thread
    unlisted: v.boolean(),
    latest: v.union(v.string(), v.null()), // a pinned version id; null: the newest
    versionCount: v.number(), // the counter the next version id comes from (v{n+1}), bumped in the save's transaction
    created: v.number(),
  })
    .index("by_thread", ["thread"])
    .index("by_owner", ["owner"])
    .index("by_unlisted", ["unlisted"]),
  versions: defineTable({
    thread: v.string(),
    version: v.string(),
    seq: v.number(),
    created: v.number(),
    author: v.string(),
    authorName: v.union(v.string(), v.null()),
    title: v.union(v.string(), v.null()),
    entry: v.string(),
    unlisted: v.boolean(),
    files: v.array(v.union(textFile, storedFile)),
    dependencies: v.array(dependency),
    sha256: v.string(), // of the canonical snapshot document (see versions.ts: canonical)
  })
    .index("by_thread_version", ["thread", "version"])
    .index("by_thread_seq", ["thread", "seq"]),
});
