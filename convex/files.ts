// Binary files (images in a demo) go to Convex file storage; a save then names them by storage id, and the
// save reads their sha256, size and type from the `_storage` system table (never from the client).
import { ConvexError, v } from "convex/values";
import { action, mutation } from "./_generated/server";
import { RULES } from "./rules";

async function signedIn(ctx: { auth: { getUserIdentity(): Promise<unknown> } }, what: string) {
  if ((await ctx.auth.getUserIdentity()) === null) {
    throw new ConvexError({ code: "unauthenticated", message: `${what}: sign in first (no identity on the request)` });
  }
}

/** Convex's documented upload flow: POST the bytes to the returned URL (Content-Type: the file's type), get
 * `{storageId}` back, then save with `{path, storageId}`. */
export const generateUploadUrl = mutation({
  args: {},
  handler: async (ctx) => {
    await signedIn(ctx, "uploading a file");
    return await ctx.storage.generateUploadUrl();
  },
});

/** The same in one call, for clients that cannot POST to an upload URL (and for convex-test, whose upload
 * URLs nothing answers): the bytes in the arguments (up to build.max_file_bytes), the storage id back. */
export const store = action({
  args: { bytes: v.bytes(), contentType: v.string() },
  handler: async (ctx, args) => {
    await signedIn(ctx, "storing a file");
    if (args.bytes.byteLength > RULES.limits.maxFileBytes) {
      throw new ConvexError({
        code: "invalid",
        message: `the file is ${args.bytes.byteLength} bytes, over the ${RULES.limits.maxFileBytes}-byte limit (build.max_file_bytes)`,
      });
    }
    return await ctx.storage.store(new Blob([args.bytes], { type: args.contentType }));
  },
});
