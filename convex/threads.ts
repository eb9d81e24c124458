// Threads as the public sees them: listed ones only (an unlisted thread appears in no listing).
import { ConvexError, v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { mutation, query } from "./_generated/server";
import { hasLoneSurrogate, idProblem, shown } from "./rules";
import { dispatchAfter } from "./dispatch";

/** Listed threads, oldest first: title, description, tags, the pinned latest version and how many versions. */
export const list = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, args) => {
    const result = await ctx.db
      .query("threads")
      .withIndex("by_unlisted", (q) => q.eq("unlisted", false))
      .paginate(args.paginationOpts);
    return {
      ...result,
      page: result.page.map((t) => ({
        thread: t.thread, title: t.title, description: t.description, tags: t.tags, latest: t.latest,
        versionCount: t.versionCount, created: t.created,
      })),
    };
  },
});

/** One thread's metadata, or null (an unlisted one only for its owner): what the editor shows above its versions. */
export const get = query({
  args: { thread: v.string() },
  handler: async (ctx, args) => {
    const t = await ctx.db.query("threads").withIndex("by_thread", (q) => q.eq("thread", args.thread)).unique();
    if (t === null) return null;
    const mine = (await ctx.auth.getUserIdentity())?.tokenIdentifier === t.owner;
    if (t.unlisted && !mine) return null;
    return {
      thread: t.thread, title: t.title, description: t.description, tags: t.tags, latest: t.latest,
      versionCount: t.versionCount, created: t.created, unlisted: t.unlisted, mine,
    };
  },
});

/** The owner changes a thread's metadata: title, description, tags, unlisted, and the pinned latest version
 * (an existing version id, or null for the newest). Versions themselves never change. */
export const update = mutation({
  args: {
    thread: v.string(),
    title: v.optional(v.string()),
    description: v.optional(v.string()),
    tags: v.optional(v.array(v.string())),
    unlisted: v.optional(v.boolean()),
    latest: v.optional(v.union(v.string(), v.null())),
  },
  handler: async (ctx, args) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      throw new ConvexError({ code: "unauthenticated", message: `updating ${args.thread}: sign in first (no identity on the request)` });
    }
    const t = await ctx.db.query("threads").withIndex("by_thread", (q) => q.eq("thread", args.thread)).unique();
    if (t === null) throw new ConvexError({ code: "not_found", message: `thread ${args.thread} does not exist: save a version first` });
    if (t.owner !== identity.tokenIdentifier) {
      throw new ConvexError({ code: "forbidden", message: `thread ${args.thread} belongs to another author: fork it under a new thread id` });
    }
    const problems: string[] = [];
    for (const [key, value] of [["title", args.title], ["description", args.description]] as const) {
      if (value !== undefined && hasLoneSurrogate(value)) problems.push(`${key} must be UTF-8 text, not ${shown(value)}`);
    }
    if (args.tags && !args.tags.every((tag) => tag.trim() && !hasLoneSurrogate(tag))) problems.push("tags must be a list of non-empty UTF-8 strings");
    if (typeof args.latest === "string") {
      const problem = idProblem(args.latest, "latest version");
      const found = problem === null && (await ctx.db.query("versions")
        .withIndex("by_thread_version", (q) => q.eq("thread", args.thread).eq("version", args.latest as string)).unique());
      if (problem) problems.push(problem);
      else if (!found) problems.push(`latest ${shown(args.latest)} is not a version of ${args.thread}: pin a saved version, or null for the newest`);
    }
    if (problems.length) throw new ConvexError({ code: "invalid", message: `${args.thread}: ${problems.join("; ")}`, problems });
    const changes = {
      ...(args.title !== undefined && { title: args.title.trim() || args.thread }),
      ...(args.description !== undefined && { description: args.description.trim() }),
      ...(args.tags !== undefined && { tags: [...new Set(args.tags.map((tag) => tag.trim()))] }),
      ...(args.unlisted !== undefined && { unlisted: args.unlisted }),
      ...(args.latest !== undefined && { latest: args.latest }),
    };
    await ctx.db.patch(t._id, changes);
    if (typeof args.latest === "string") await dispatchAfter(ctx, args.thread, args.latest); // a pin moves latest
    return null;
  },
});
