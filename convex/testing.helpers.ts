// Test helpers for the convex-test suites (convexTest over the shipped modules). `npx convex deploy` skips it
// (Convex skips every file whose name has more than one dot, as it skips *.test.ts).
/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import schema from "./schema";

export const modules = import.meta.glob(["./*.ts", "./_generated/*.js", "!./*.*.ts"]);

export const ALICE = { subject: "alice", issuer: "https://issuer.test", name: "Alice" };
export const BOB = { subject: "bob", issuer: "https://issuer.test", name: "Bob" };

export function backend() {
  return convexTest(schema, modules);
}

export type Backend = ReturnType<typeof backend>;

export const FILES = [{ path: "index.html", text: "<p>hi</p>" }, { path: "src/app.js", text: "console.log(1)" }];

/** How many threads and versions are stored (to assert that a refused save wrote nothing). */
export async function counts(t: Backend): Promise<{ threads: number; versions: number }> {
  return t.run(async (ctx) => ({
    threads: (await ctx.db.query("threads").collect()).length,
    versions: (await ctx.db.query("versions").collect()).length,
  }));
}

/** The ConvexError data a call was refused with (fails when it was not refused). */
export async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string; problems?: string[] }> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: unknown }).data;
    if (data && typeof data === "object") return data as { code: string; message: string; problems?: string[] };
    return { code: "thrown", message: String((error as Error).message ?? error) };
  }
  throw new Error("the call was not refused");
}

export async function sha256Hex(bytes: BufferSource): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
