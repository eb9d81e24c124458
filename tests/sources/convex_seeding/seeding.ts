// TESTS ONLY (tests/sources/test_convex_source_standin.py): never part of convex/, never deployed. The test copies
// the shipped functions folder and adds this module, so the build's 10,000 versions are inserted as
// versions:save stores them (same fields, same canonical sha256) without save's per-call lookups, which
// convex-test answers by scanning the table: 10,000 saves take minutes there, these inserts seconds. What the
// build reads is still the shipped versions:listForBuild.
import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { canonical } from "./versions";

export const insertVersions = internalMutation({
  args: { thread: v.string(), first: v.number(), count: v.number() },
  handler: async (ctx, { thread, first, count }) => {
    const found = await ctx.db.query("threads").withIndex("by_thread", (q) => q.eq("thread", thread)).unique();
    if (found === null) {
      await ctx.db.insert("threads", {
        thread, title: thread, description: "", tags: [], owner: "seeding", unlisted: false, latest: null,
        versionCount: 0, created: Date.now(),
      });
    }
    for (let n = first; n < first + count; n++) {
      const version = `v${n}`;
      const files = [{ path: "index.html", text: `<p>${thread} ${n}</p>` }];
      const document = canonical(thread, version, null, "index.html", files, []);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(document)));
      const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
      await ctx.db.insert("versions", {
        thread, version, seq: n, created: Date.now(), author: "seeding", authorName: null, title: null,
        entry: "index.html", unlisted: false, files, dependencies: [], sha256,
      });
    }
  },
});
