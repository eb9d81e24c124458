// What the public queries show, what the build reads (versions:listForBuild), and binary files.
import { describe, expect, test } from "vitest";
import { api, internal } from "./_generated/api";
import { ALICE, BOB, FILES, backend, refusal, sha256Hex } from "./testing.helpers";
import { RULES } from "./rules";

const page = (numItems: number, cursor: string | null = null) => ({ paginationOpts: { numItems, cursor } });

describe("versions:listForBuild pages through every version in creation order", () => {
  test("10,000 versions in pages of 500, each once, in order, with an opaque cursor", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    // The first and last versions go through the real mutation; the 9,998 between are inserted directly
    // (t.run: test-only, no shipped function can do it) so the test takes seconds.
    await alice.mutation(api.versions.save, { thread: "first", files: FILES });
    await t.run(async (ctx) => {
      for (let i = 0; i < 9_998; i++) {
        const thread = `t${i % 100}`;
        await ctx.db.insert("versions", {
          thread, version: `v${Math.floor(i / 100) + 1}`, seq: Math.floor(i / 100) + 1, created: i, author: "seed",
          authorName: null, title: null, entry: "index.html", unlisted: i % 10 === 0, files: [{ path: "index.html", text: `${i}` }],
          dependencies: [], sha256: `${i}`.padStart(64, "0"),
        });
      }
    });
    await alice.mutation(api.versions.save, { thread: "last", files: FILES });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let lastTime = 0;
    for (;;) {
      const result: { page: { thread: string; version: string; unlisted: boolean }[]; isDone: boolean; continueCursor: string } =
        await t.query(internal.versions.listForBuild, page(500, cursor));
      pages++;
      expect(result.page.length).toBeLessThanOrEqual(500);
      seen.push(...result.page.map((v) => `${v.thread}/${v.version}`));
      lastTime = (result.page.at(-1) as { creationTime?: number } | undefined)?.creationTime ?? lastTime;
      expect(typeof result.continueCursor).toBe("string");
      cursor = result.continueCursor;
      if (result.isDone) break;
    }
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    expect(seen[0]).toBe("first/v1");
    expect(seen[1]).toBe("t0/v1");
    expect(seen.at(-1)).toBe("last/v1");
    expect(pages).toBeGreaterThanOrEqual(20);
    // A later run resumes after the creationTime of the last version it read, and reads only what is new.
    const end = await t.query(internal.versions.listForBuild, page(500, cursor));
    expect([end.page, end.isDone]).toEqual([[], true]);
    for (let i = 0; i < 10; i++) await alice.mutation(api.versions.save, { thread: "last", files: FILES });
    const next = await t.query(internal.versions.listForBuild, { ...page(500), after: lastTime });
    expect(next.page.map((v: { thread: string; version: string }) => `${v.thread}/${v.version}`)).toEqual(
      Array.from({ length: 10 }, (_, i) => `last/v${i + 2}`));
    expect(next.isDone).toBe(true);
  });

  test("listForBuild is registered internal: only a deploy (admin) key can call it over the HTTP API", async () => {
    const { listForBuild } = await import("./versions");
    const flags = listForBuild as unknown as { isQuery?: boolean; isInternal?: boolean; isPublic?: boolean };
    expect([flags.isQuery, flags.isInternal, flags.isPublic]).toEqual([true, true, undefined]);
  });
});

describe("unlisted versions and threads appear in no public query", () => {
  async function seeded() {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    await alice.mutation(api.versions.save, { thread: "open", version: "v1", files: FILES, threadTitle: "Open" });
    await alice.mutation(api.versions.save, { thread: "open", version: "v2", files: FILES, unlisted: true });
    await alice.mutation(api.versions.save, { thread: "hidden", version: "v1", files: FILES, unlisted: true });
    return t;
  }

  test("get returns an unlisted version only to its owner", async () => {
    const t = await seeded();
    for (const who of [t, t.withIdentity(BOB)]) {
      expect(await who.query(api.versions.get, { thread: "open", version: "v2" })).toBeNull();
      expect(await who.query(api.versions.get, { thread: "hidden", version: "v1" })).toBeNull();
      expect((await who.query(api.versions.get, { thread: "open", version: "v1" }))?.version).toBe("v1");
    }
    const own = await t.withIdentity(ALICE).query(api.versions.get, { thread: "open", version: "v2" });
    expect(own?.unlisted).toBe(true);
    expect(own?.mine).toBe(true);
  });

  test("listForThread shows the public only listed versions, newest first, without contents", async () => {
    const t = await seeded();
    const open = await t.query(api.versions.listForThread, { thread: "open", ...page(10) });
    expect(open.page.map((v: { version: string }) => v.version)).toEqual(["v1"]);
    expect(open.page[0]).not.toHaveProperty("files");
    expect((await t.query(api.versions.listForThread, { thread: "hidden", ...page(10) })).page).toEqual([]);
    const own = await t.withIdentity(ALICE).query(api.versions.listForThread, { thread: "open", ...page(10) });
    expect(own.page.map((v: { version: string }) => v.version)).toEqual(["v2", "v1"]);
  });

  test("threads:list shows listed threads only", async () => {
    const t = await seeded();
    const listed = await t.query(api.threads.list, page(10));
    expect(listed.page).toEqual([{ thread: "open", title: "Open", description: "", tags: [], latest: null, versionCount: 2, created: expect.any(Number) }]);
    expect(await t.query(api.threads.get, { thread: "hidden" })).toBeNull();
    expect((await t.withIdentity(ALICE).query(api.threads.get, { thread: "hidden" }))?.unlisted).toBe(true);
  });

  test("listForBuild has every version, the unlisted ones flagged, with their thread's metadata", async () => {
    const t = await seeded();
    const all = await t.query(internal.versions.listForBuild, page(10));
    expect(all.page.map((v: { thread: string; version: string; unlisted: boolean }) => [v.thread, v.version, v.unlisted])).toEqual([
      ["open", "v1", false], ["open", "v2", true], ["hidden", "v1", true],
    ]);
    expect(all.page[0].threadInfo).toEqual({ title: "Open", description: "", tags: [], latest: null, unlisted: false });
    expect(all.page[2].threadInfo?.unlisted).toBe(true);
    expect(all.page[0].author).toBe("https://issuer.test|alice");
  });
});

describe("binary files live in Convex file storage, referenced by storage id with the server's sha256", () => {
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255]);

  test("an image uploaded through files:store is saved with its sha256, size and type, and served with a URL", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    const storageId = await alice.action(api.files.store, { bytes: PNG.buffer, contentType: "image/png" });
    const saved = await alice.mutation(api.versions.save, { thread: "pics", files: [...FILES, { path: "img/logo.png", storageId }] });
    const got = await t.query(api.versions.get, { thread: "pics", version: saved.version });
    type Stored = { path: string; storageId: string; sha256: string; size: number; contentType: string; url: string | null };
    const image = got?.files.find((f: { path: string }) => f.path === "img/logo.png") as Stored | undefined;
    expect(image).toMatchObject({ storageId, sha256: await sha256Hex(PNG), size: PNG.length, contentType: "image/png" });
    expect(image?.url).toMatch(/^https:\/\//);
    const build = await t.query(internal.versions.listForBuild, page(10));
    const built = build.page[0].files.find((f: { path: string }) => f.path === "img/logo.png") as Stored | undefined;
    expect(built?.sha256).toBe(await sha256Hex(PNG));
    const bytes = await t.run(async (ctx) => (await ctx.storage.get(storageId))!.arrayBuffer());
    expect(new Uint8Array(bytes)).toEqual(PNG);
  });

  test("a client cannot claim a file's sha256 or size: the argument validator refuses them", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    const storageId = await alice.action(api.files.store, { bytes: PNG.buffer, contentType: "image/png" });
    const call = alice.mutation(api.versions.save, { thread: "pics", files: [...FILES, { path: "a.png", storageId, sha256: "0".repeat(64) }] } as never);
    await expect(call).rejects.toThrow(/Validator error/);
  });

  test("a storage id that holds no file is refused, and so is an image over the size limit", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    const storageId = await alice.action(api.files.store, { bytes: PNG.buffer, contentType: "image/png" });
    await t.run(async (ctx) => ctx.storage.delete(storageId));
    const missing = await refusal(alice.mutation(api.versions.save, { thread: "pics", files: [...FILES, { path: "a.png", storageId }] }));
    expect(missing.message).toMatch(/storage id .* holds no file; upload it first/);
    const huge = await t.run(async (ctx) => ctx.storage.store(new Blob([new Uint8Array(RULES.limits.maxFileBytes + 1)])));
    const tooBig = await refusal(alice.mutation(api.versions.save, { thread: "pics", files: [...FILES, { path: "a.bin", storageId: huge }] }));
    expect(tooBig.message).toMatch(/"a.bin"\] is 2097153 bytes, over the 2097152-byte limit/);
    const stored = await refusal(alice.action(api.files.store, { bytes: new Uint8Array(RULES.limits.maxFileBytes + 1).buffer, contentType: "x/y" }));
    expect(stored.code).toBe("invalid");
  });

  test("uploading needs a signed-in identity; generateUploadUrl gives a URL to POST the bytes to", async () => {
    const t = backend();
    expect((await refusal(t.mutation(api.files.generateUploadUrl, {}))).code).toBe("unauthenticated");
    expect((await refusal(t.action(api.files.store, { bytes: PNG.buffer, contentType: "image/png" }))).code).toBe("unauthenticated");
    expect(await t.withIdentity(ALICE).mutation(api.files.generateUploadUrl, {})).toMatch(/^https:\/\/.*upload/);
  });
});
