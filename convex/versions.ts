// Versions: saved once, never patched or deleted (this module has no function that could). A save is one
// mutation, so one serializable transaction: the ownership check, the next version id and the insert happen
// together or not at all.
import { ConvexError, getDocumentSize, v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { internalQuery, mutation, query } from "./_generated/server";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import type { Doc, Id } from "./_generated/dataModel";
import { dependency } from "./schema";
import { RULES, checkSnapshot, hasLoneSurrogate, shown } from "./rules";
import type { SnapshotFile } from "./rules";
import { dispatchAfter } from "./dispatch";

const fileArg = v.union(
  v.object({ path: v.string(), text: v.string() }),
  v.object({ path: v.string(), storageId: v.id("_storage") }),
);

type StoredFile = Doc<"versions">["files"][number];
type Identity = { tokenIdentifier: string; name?: string; nickname?: string };

/** Save one version of a thread (the first save of a thread creates it, owned by the saving identity). */
export const save = mutation({
  args: {
    thread: v.string(),
    version: v.optional(v.string()),
    title: v.optional(v.union(v.string(), v.null())),
    entry: v.optional(v.union(v.string(), v.null())),
    files: v.array(fileArg),
    dependencies: v.optional(v.union(v.record(v.string(), v.string()), v.array(dependency))),
    unlisted: v.optional(v.boolean()),
    threadTitle: v.optional(v.string()),
    description: v.optional(v.string()),
    tags: v.optional(v.array(v.string())),
  },
  handler: async (ctx, args) => {
    const identity = (await ctx.auth.getUserIdentity()) as Identity | null;
    if (identity === null) {
      throw new ConvexError({ code: "unauthenticated", message: `saving ${args.thread}: sign in first (no identity on the request)` });
    }
    const ref = `${args.thread}/${args.version ?? "(next)"}`;
    const problems: string[] = [];
    const files = await storedFiles(ctx, args.files, problems);
    const dependencies = Array.isArray(args.dependencies)
      ? args.dependencies
      : Object.entries(args.dependencies ?? {}).map(([name, spec]) => ({ name, spec }));
    const checked = checkSnapshot({
      thread: args.thread, version: args.version, title: args.title, entry: args.entry, tags: args.tags,
      unlisted: args.unlisted, dependencies,
      files: files.map((f) => ("text" in f ? { path: f.path, text: f.text } : { path: f.path, size: f.size } as SnapshotFile)),
    });
    problems.push(...checked.problems);
    for (const [key, value] of [["threadTitle", args.threadTitle], ["description", args.description]] as const) {
      if (value !== undefined && hasLoneSurrogate(value)) problems.push(`${key} must be UTF-8 text, not ${shown(value)}`);
    }
    if (problems.length) {
      throw new ConvexError({ code: "invalid", message: `${ref}: ${problems.join("; ")}`, problems });
    }
    const now = Date.now();
    const thread = await ownThread(ctx, args, identity, checked.tags, now);
    const version = args.version ?? (await nextId(ctx, args.thread, thread.versionCount));
    const existing = await findVersion(ctx, args.thread, version);
    if (existing !== null) {
      throw new ConvexError({
        code: "exists",
        message: `${args.thread}/${version} is already saved: versions are immutable; save under a new version id (or omit it to get the next one)`,
      });
    }
    const seq = thread.versionCount + 1;
    const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const document = canonical(args.thread, version, checked.title, checked.entry, sorted, checked.dependencies);
    const sha256 = await sha256Hex(document);
    const row = {
      thread: args.thread, version, seq, created: now, author: identity.tokenIdentifier,
      authorName: identity.name ?? identity.nickname ?? null, title: checked.title, entry: checked.entry,
      unlisted: args.unlisted ?? thread.unlisted, files: sorted, dependencies: checked.dependencies, sha256,
    };
    checkDocumentSize(`${args.thread}/${version}`, row);
    await ctx.db.insert("versions", row);
    await ctx.db.patch(thread._id, { versionCount: seq });
    await dispatchAfter(ctx, args.thread, version); // publish-version on GitHub, when GITHUB_DISPATCH_REPO is set
    return { thread: args.thread, version, created: now, sha256 };
  },
});

/** Convex stores a document of at most 1 MiB; a snapshot may hold 10 MiB (build.max_snapshot_bytes), so the
 * larger text files go to file storage like images do, and the save says so rather than failing in the insert. */
const CONVEX_DOCUMENT_BYTES = 1 << 20;

function checkDocumentSize(ref: string, row: Omit<Doc<"versions">, "_id" | "_creationTime">): void {
  const size = getDocumentSize(row);
  if (size <= CONVEX_DOCUMENT_BYTES) return;
  const texts = row.files.flatMap((f) => ("text" in f ? [{ path: f.path, bytes: new TextEncoder().encode(f.text).length }] : []));
  texts.sort((a, b) => b.bytes - a.bytes);
  const largest = texts.slice(0, 3).map((f) => `${shown(f.path)} ${f.bytes} bytes`);
  const message = `${ref}: the version is ${size} bytes as a Convex document, over Convex's ${CONVEX_DOCUMENT_BYTES}-byte ` +
    `document limit: upload the largest text files to file storage (files:generateUploadUrl or files:store) and save ` +
    `them as {path, storageId} (largest: ${largest.join(", ")})`;
  throw new ConvexError({ code: "invalid", message, problems: [message] });
}

/** The files as stored: binary ones with sha256 (hex), size and type read from the `_storage` system table. */
async function storedFiles(
  ctx: QueryCtx,
  files: ({ path: string; text: string } | { path: string; storageId: Id<"_storage"> })[],
  problems: string[],
): Promise<StoredFile[]> {
  const stored: StoredFile[] = [];
  for (const file of files) {
    if ("text" in file) {
      stored.push({ path: file.path, text: file.text });
      continue;
    }
    const meta = await ctx.db.system.get(file.storageId);
    if (meta === null) {
      problems.push(`files[${shown(file.path)}]: storage id ${file.storageId} holds no file; upload it first (files:generateUploadUrl)`);
      continue;
    }
    stored.push({
      path: file.path, storageId: file.storageId, sha256: base64ToHex(meta.sha256), size: meta.size,
      contentType: meta.contentType ?? "application/octet-stream",
    });
  }
  return stored;
}

async function ownThread(
  ctx: MutationCtx,
  args: { thread: string; unlisted?: boolean; threadTitle?: string; description?: string; tags?: string[] },
  identity: Identity,
  tags: string[],
  now: number,
): Promise<Doc<"threads">> {
  const found = await threadNamed(ctx, args.thread);
  if (found === null) {
    const id = await ctx.db.insert("threads", {
      thread: args.thread, title: args.threadTitle?.trim() || args.thread, description: args.description?.trim() ?? "",
      tags, owner: identity.tokenIdentifier, unlisted: args.unlisted ?? false, latest: null, versionCount: 0, created: now,
    });
    return (await ctx.db.get(id))!;
  }
  if (found.owner !== identity.tokenIdentifier) {
    throw new ConvexError({
      code: "forbidden",
      message: `thread ${args.thread} belongs to another author: fork it under a new thread id`,
    });
  }
  const changes: Partial<Doc<"threads">> = {};
  if (args.threadTitle !== undefined) changes.title = args.threadTitle.trim() || args.thread;
  if (args.description !== undefined) changes.description = args.description.trim();
  if (args.tags !== undefined) changes.tags = tags;
  if (Object.keys(changes).length) await ctx.db.patch(found._id, changes); // the thread's metadata, never a version
  return { ...found, ...changes };
}

/** `v{n}` after the thread's counter, skipping ids a save already took by name. */
async function nextId(ctx: QueryCtx, thread: string, count: number): Promise<string> {
  for (let n = count + 1; ; n++) {
    if ((await findVersion(ctx, thread, `v${n}`)) === null) return `v${n}`;
  }
}

function findVersion(ctx: QueryCtx, thread: string, version: string) {
  return ctx.db.query("versions").withIndex("by_thread_version", (q) => q.eq("thread", thread).eq("version", version)).unique();
}

/** The canonical snapshot document whose sha256 a version carries: JSON.stringify of this object, keys in
 * this order, files sorted by path (binary ones by their sha256, size and type), no whitespace. */
export function canonical(thread: string, version: string, title: string | null, entry: string, files: StoredFile[],
  dependencies: { name: string; spec: string }[]): string {
  const listed = files.map((f) => ("text" in f ? { path: f.path, text: f.text }
    : { path: f.path, sha256: f.sha256, size: f.size, contentType: f.contentType }));
  return JSON.stringify({ format: RULES.snapshotFormat, thread, version, title, entry, files: listed, dependencies });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64ToHex(base64: string): string {
  return Array.from(atob(base64), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

async function viewer(ctx: QueryCtx): Promise<string | null> {
  return (await ctx.auth.getUserIdentity())?.tokenIdentifier ?? null;
}

async function threadNamed(ctx: QueryCtx, thread: string): Promise<Doc<"threads"> | null> {
  return ctx.db.query("threads").withIndex("by_thread", (q) => q.eq("thread", thread)).unique();
}

/** Binary files get a download URL; text files stay as they are. */
async function withUrls(ctx: QueryCtx, files: StoredFile[]) {
  return Promise.all(files.map(async (f) => ("text" in f ? f : { ...f, url: await ctx.storage.getUrl(f.storageId) })));
}

/** One version with its files, or null (also for an unlisted one asked by anyone but its thread's owner). */
export const get = query({
  args: { thread: v.string(), version: v.string() },
  handler: async (ctx, args) => {
    const found = await findVersion(ctx, args.thread, args.version);
    const thread = found && (await threadNamed(ctx, args.thread));
    if (!found || !thread) return null;
    if ((found.unlisted || thread.unlisted) && (await viewer(ctx)) !== thread.owner) return null;
    return {
      thread: found.thread, version: found.version, seq: found.seq, created: found.created,
      authorName: found.authorName, title: found.title, entry: found.entry, unlisted: found.unlisted,
      files: await withUrls(ctx, found.files), dependencies: found.dependencies, sha256: found.sha256,
      mine: (await viewer(ctx)) === thread.owner,
    };
  },
});

/** A thread's versions, newest first, without file contents (the editor's version list). */
export const listForThread = query({
  args: { thread: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, args) => {
    const thread = await threadNamed(ctx, args.thread);
    const owner = thread !== null && (await viewer(ctx)) === thread.owner;
    if (thread === null || (thread.unlisted && !owner)) return { page: [], isDone: true, continueCursor: "" };
    let versions = ctx.db.query("versions").withIndex("by_thread_seq", (q) => q.eq("thread", args.thread)).order("desc");
    if (!owner) versions = versions.filter((q) => q.eq(q.field("unlisted"), false));
    const result = await versions.paginate(args.paginationOpts);
    return {
      ...result,
      page: result.page.map((found) => ({
        thread: found.thread, version: found.version, seq: found.seq, created: found.created,
        authorName: found.authorName, title: found.title, entry: found.entry, unlisted: found.unlisted,
        sha256: found.sha256, fileCount: found.files.length,
      })),
    };
  },
});

/** Every version in creation order (after `after`, a creationTime, when given), unlisted ones included
 * (flagged), with the files and the thread's metadata (threadInfo): what the build reads. INTERNAL: only a
 * deploy key (admin) can call it. */
export const listForBuild = internalQuery({
  args: { paginationOpts: paginationOptsValidator, after: v.optional(v.number()) },
  handler: async (ctx, args) => {
    // A finished listing's continueCursor is Convex's END position, which stays at the end: a later run
    // resumes with `after` (the creationTime of the last version it read) and a null cursor instead.
    const after = args.after;
    const versions = after === undefined
      ? ctx.db.query("versions")
      : ctx.db.query("versions").withIndex("by_creation_time", (q) => q.gt("_creationTime", after));
    const result = await versions.order("asc").paginate(args.paginationOpts);
    const threads = new Map<string, Doc<"threads"> | null>();
    const page = [];
    for (const found of result.page) {
      if (!threads.has(found.thread)) threads.set(found.thread, await threadNamed(ctx, found.thread));
      const thread = threads.get(found.thread);
      const { _id, _creationTime, ...fields } = found;
      page.push({
        ...fields,
        creationTime: _creationTime,
        files: await withUrls(ctx, found.files),
        threadInfo: thread
          ? { title: thread.title, description: thread.description, tags: thread.tags, latest: thread.latest, unlisted: thread.unlisted }
          : null,
      });
    }
    return { ...result, page };
  },
});
