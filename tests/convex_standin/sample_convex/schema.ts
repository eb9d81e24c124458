// A tiny schema for the stand-in's own contract tests: every value type the HTTP API encodes specially.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({
    text: v.string(),
    count: v.int64(),
    data: v.optional(v.bytes()),
    owner: v.string(),
  }),
});
