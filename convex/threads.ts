// Threads as the public sees them: listed ones only (an unlisted thread appears in no listing).
import { v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { query } from "./_generated/server";

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
