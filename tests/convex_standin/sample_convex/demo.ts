// Functions the stand-in's contract tests call: one per shape of the Convex HTTP API they check.
import { paginationOptsValidator } from "convex/server";
import { ConvexError, v } from "convex/values";
import { internal } from "./_generated/api";
import { action, internalQuery, mutation, query } from "./_generated/server";

export const echo = query({
  args: { value: v.any() },
  handler: async (_ctx, { value }) => value,
});

export const whoami = query({
  args: {},
  handler: async (ctx) => await ctx.auth.getUserIdentity(),
});

export const add = mutation({
  args: { text: v.string(), count: v.int64(), data: v.optional(v.bytes()) },
  handler: async (ctx, args) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      throw new ConvexError({ code: "unauthenticated", message: "sign in to add a note" });
    }
    return await ctx.db.insert("notes", { ...args, owner: identity.tokenIdentifier });
  },
});

export const list = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) =>
    await ctx.db.query("notes").order("asc").paginate(paginationOpts),
});

export const refuse = mutation({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.db.insert("notes", { text, count: 0n, owner: "nobody" });
    throw new ConvexError({ code: "invalid", message: "text refused", problems: [text] });
  },
});

export const crash = query({
  args: {},
  handler: async () => {
    throw new Error("boom");
  },
});

export const chatty = query({
  args: {},
  handler: async () => {
    console.log("hello", 42);
    console.warn("careful");
    return null;
  },
});

export const secret = internalQuery({
  args: {},
  handler: async () => "internal only",
});

export const viaAction = action({
  args: {},
  handler: async (ctx): Promise<string> => await ctx.runQuery(internal.demo.secret, {}),
});

export const generateUploadUrl = mutation({
  args: {},
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

export const file = query({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    const meta = await ctx.db.system.get(id);
    return meta === null ? null : { url: await ctx.storage.getUrl(id), sha256: meta.sha256, size: meta.size };
  },
});
