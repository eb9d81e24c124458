// versions:save through convex-test (Convex's own mock backend): refusals, immutability, ownership, ids.
import { describe, expect, test } from "vitest";
import { api } from "./_generated/api";
import { ALICE, BOB, FILES, backend, counts, refusal } from "./testing.helpers";
import { RULES } from "./rules";

const MAX = RULES.limits;
const big = (bytes: number) => "x".repeat(bytes);

const BAD: [string, Record<string, unknown>, RegExp][] = [
  ["a thread id with capitals", { thread: "My Thread" }, /invalid thread id "My Thread"/],
  ["the reserved version id latest", { version: "latest" }, /version id "latest" is reserved/],
  ["a version id over 64 characters", { version: "v".repeat(65) }, /invalid version id/],
  ["a version id with unicode", { version: "vé" }, /invalid version id/],
  ["no files", { files: [] }, /files must not be empty/],
  ["a path climbing out", { files: [...FILES, { path: "../x.js", text: "" }] }, /escapes the snapshot/],
  ["a path with //", { files: [...FILES, { path: "a//b.js", text: "" }] }, /escapes the snapshot/],
  ["an absolute path", { files: [...FILES, { path: "/etc/passwd", text: "" }] }, /must be relative/],
  ["a backslash path", { files: [...FILES, { path: "a\\b.js", text: "" }] }, /must be relative/],
  ["a newline in a path", { files: [...FILES, { path: "a\nb.js", text: "" }] }, /control character U\+000A/],
  ["a bidi control in a path", { files: [...FILES, { path: "a\u202eb.js", text: "" }] }, /control character U\+202E/],
  ["a lone surrogate in a path", { files: [...FILES, { path: "a\ud800.js", text: "" }] }, /not valid UTF-8/],
  ["a lone surrogate in a file", { files: [{ path: "index.html", text: "\udc80" }] }, /not UTF-8 text/],
  ["the same path twice", { files: [...FILES, { path: "index.html", text: "" }] }, /given twice/],
  ["a file over the size limit", { files: [{ path: "index.html", text: big(MAX.maxFileBytes + 1) }] }, /over the 2097152-byte limit/],
  ["more files than allowed", { files: Array.from({ length: MAX.maxFiles + 1 }, (_, i) => ({ path: `f${i}.js`, text: "" })) }, /501 files, over the limit of 500/],
  ["a snapshot over the total limit", { files: Array.from({ length: 6 }, (_, i) => ({ path: i ? `f${i}.js` : "index.html", text: big(MAX.maxFileBytes) })) }, /exceeds 10485760 bytes/],
  ["no entry file", { files: [{ path: "app.js", text: "" }] }, /no entry file/],
  ["an entry not among the files", { entry: "missing.js" }, /entry "missing.js" is not a file/],
  ["a stylesheet as entry", { entry: "a.css", files: [...FILES, { path: "a.css", text: "" }] }, /must be .html or a script/],
  ["a git dependency", { dependencies: { react: "github:facebook/react" } }, /a git repository, not a registry version/],
  ["a tarball URL dependency", { dependencies: { x: "https://example.com/x.tgz" } }, /a tarball URL/],
  ["a local file dependency", { dependencies: { x: "file:../x" } }, /a local folder/],
  ["an alias dependency", { dependencies: [{ name: "x", spec: "npm:react@18" }] }, /an alias \(npm:\)/],
  ["an over-long spec", { dependencies: { react: "1".repeat(257) } }, /over 256 characters/],
  ["a package name with capitals", { dependencies: { React: "18" } }, /not a valid npm package name/],
  ["an empty tag", { tags: ["a", " "] }, /tags must be a list of non-empty/],
];

describe("versions:save refuses every bad input with a clear message and writes nothing", () => {
  test.each(BAD)("%s", async (_name, change, message) => {
    const t = backend();
    const problem = await refusal(t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", version: "v1", files: FILES, ...change }));
    expect(problem.code).toBe("invalid");
    expect(problem.message).toMatch(message);
    expect(problem.problems?.length).toBeGreaterThan(0);
    expect(problem.message.startsWith("demo/") || problem.message.startsWith("My Thread/")).toBe(true);
    expect(await counts(t)).toEqual({ threads: 0, versions: 0 });
  });

  test("every problem of a save is reported at once", async () => {
    const t = backend();
    const problem = await refusal(t.withIdentity(ALICE).mutation(api.versions.save, {
      thread: "demo", version: "latest", files: [{ path: "../a.js", text: "" }, { path: "index.html", text: "" }],
      dependencies: { x: "git+https://github.com/a/b.git" },
    }));
    expect(problem.problems).toHaveLength(3);
  });

  test("arguments of the wrong shape are refused by the argument validators", async () => {
    const t = backend();
    const call = t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: [{ path: "index.html", text: 1 }] } as never);
    await expect(call).rejects.toThrow(/Validator error/);
    expect(await counts(t)).toEqual({ threads: 0, versions: 0 });
  });

  test("a save without a signed-in identity is refused", async () => {
    const t = backend();
    const problem = await refusal(t.mutation(api.versions.save, { thread: "demo", files: FILES }));
    expect(problem).toEqual({ code: "unauthenticated", message: "saving demo: sign in first (no identity on the request)" });
    expect(await counts(t)).toEqual({ threads: 0, versions: 0 });
  });
});

describe("a snapshot over Convex's 1 MiB document limit", () => {
  const large = "x".repeat(1_500_000); // within build.max_file_bytes (2 MiB), over what one Convex document holds

  test("is refused with what to do when its text is inline, and nothing is written", async () => {
    const t = backend();
    const problem = await refusal(t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: [...FILES, { path: "big.js", text: large }] }));
    expect(problem.code).toBe("invalid");
    expect(problem.message).toMatch(/^demo\/v1: the version is \d+ bytes as a Convex document, over Convex's 1048576-byte document limit: upload the largest text files to file storage .* \(largest: "big.js" 1500000 bytes/);
    expect(await counts(t)).toEqual({ threads: 0, versions: 0 });
  });

  test("is saved when its large text file goes through file storage", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    const storageId = await alice.action(api.files.store, { bytes: new TextEncoder().encode(large).buffer as ArrayBuffer, contentType: "text/javascript" });
    const saved = await alice.mutation(api.versions.save, { thread: "demo", files: [...FILES, { path: "big.js", storageId }] });
    const got = await t.query(api.versions.get, { thread: "demo", version: saved.version });
    expect(got?.files.find((f: { path: string }) => f.path === "big.js")).toMatchObject({ size: 1_500_000, contentType: "text/javascript" });
  });
});

describe("versions are immutable", () => {
  test("a second save of the same id is refused and the first stays as saved", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    const first = await alice.mutation(api.versions.save, { thread: "demo", version: "v1", files: FILES });
    const problem = await refusal(alice.mutation(api.versions.save, { thread: "demo", version: "v1", files: [{ path: "index.html", text: "changed" }] }));
    expect(problem.code).toBe("exists");
    expect(problem.message).toBe("demo/v1 is already saved: versions are immutable; save under a new version id (or omit it to get the next one)");
    const kept = await t.query(api.versions.get, { thread: "demo", version: "v1" });
    expect(kept?.files).toEqual(FILES);
    expect(kept?.sha256).toBe(first.sha256);
    expect(await counts(t)).toEqual({ threads: 1, versions: 1 });
  });

  test("no shipped function patches or deletes a version: the only mutations are save, generateUploadUrl and threads:update", async () => {
    const { modules } = await import("./testing.helpers");
    const kinds: string[] = [];
    for (const [path, load] of Object.entries(modules) as [string, () => Promise<unknown>][]) {
      if (path.includes("_generated") || path.endsWith("schema.ts")) continue;
      const exported = (await load()) as Record<string, { isMutation?: boolean; isQuery?: boolean; isAction?: boolean; isPublic?: boolean; isInternal?: boolean }>;
      for (const [name, fn] of Object.entries(exported)) {
        const kind = fn?.isMutation ? "mutation" : fn?.isQuery ? "query" : fn?.isAction ? "action" : null;
        if (kind) kinds.push(`${path.replace(/^\.\/|\.ts$/g, "")}:${name} ${fn.isInternal ? "internal " : ""}${kind}`);
      }
    }
    expect(kinds.sort()).toEqual([
      "dispatch:publish internal action", "files:generateUploadUrl mutation", "files:store action", "threads:get query", "threads:list query", "threads:update mutation",
      "versions:get query", "versions:listForBuild internal query", "versions:listForThread query", "versions:save mutation",
    ]);
  });
});

describe("threads belong to the identity whose save created them", () => {
  test("another author cannot save into a thread", async () => {
    const t = backend();
    await t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: FILES });
    const problem = await refusal(t.withIdentity(BOB).mutation(api.versions.save, { thread: "demo", version: "v2", files: FILES }));
    expect(problem).toEqual({ code: "forbidden", message: "thread demo belongs to another author: fork it under a new thread id" });
    expect(await counts(t)).toEqual({ threads: 1, versions: 1 });
    const bob = await t.withIdentity(BOB).mutation(api.versions.save, { thread: "demo-fork", files: FILES });
    expect(bob.version).toBe("v1");
  });

  test("the author's name and server time are recorded, not the client's", async () => {
    const t = backend();
    const before = Date.now();
    const saved = await t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: FILES });
    const got = await t.query(api.versions.get, { thread: "demo", version: "v1" });
    expect(got?.authorName).toBe("Alice");
    expect(saved.created).toBeGreaterThanOrEqual(before);
    expect(got?.created).toBe(saved.created);
  });
});

describe("version ids", () => {
  test("an omitted id is the next of the thread, assigned in the save's transaction", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await alice.mutation(api.versions.save, { thread: "demo", files: FILES })).version);
    await alice.mutation(api.versions.save, { thread: "demo", version: "v4", files: FILES });
    ids.push((await alice.mutation(api.versions.save, { thread: "demo", files: FILES })).version);
    expect(ids).toEqual(["v1", "v2", "v3", "v5"]);
  });

  test("saves racing for the next id each get their own", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    await alice.mutation(api.versions.save, { thread: "demo", files: FILES });
    const saved = await Promise.all(Array.from({ length: 8 }, () => alice.mutation(api.versions.save, { thread: "demo", files: FILES })));
    expect(new Set(saved.map((s) => s.version)).size).toBe(8);
    expect(saved.map((s) => s.version).sort()).toEqual(["v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9"]);
  });

  test("the returned sha256 is that of the canonical snapshot document", async () => {
    const t = backend();
    const saved = await t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: [...FILES].reverse(), dependencies: { react: " ^18.2.0 " } });
    const { canonical } = await import("./versions");
    const { sha256Hex } = await import("./testing.helpers");
    const document = canonical("demo", "v1", null, "index.html", FILES, [{ name: "react", spec: "^18.2.0" }]);
    expect(saved.sha256).toBe(await sha256Hex(new TextEncoder().encode(document)));
  });
});

describe("threads:update changes a thread's metadata, for its owner only", () => {
  test("the owner pins a saved version as latest, renames and unlists the thread; its versions stay as saved", async () => {
    const t = backend();
    const alice = t.withIdentity(ALICE);
    await alice.mutation(api.versions.save, { thread: "demo", files: FILES });
    const v2 = await alice.mutation(api.versions.save, { thread: "demo", files: FILES });
    await alice.mutation(api.threads.update, { thread: "demo", latest: "v1", title: " Demo ", tags: ["a", "a "] });
    expect(await t.query(api.threads.get, { thread: "demo" })).toMatchObject({ latest: "v1", title: "Demo", tags: ["a"], unlisted: false });
    await alice.mutation(api.threads.update, { thread: "demo", unlisted: true });
    expect(await t.query(api.threads.get, { thread: "demo" })).toBeNull();
    expect((await alice.query(api.versions.get, { thread: "demo", version: "v2" }))?.sha256).toBe(v2.sha256);
  });

  test("another author, a missing thread and an unknown latest version are refused, and nothing changes", async () => {
    const t = backend();
    await t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: FILES });
    expect((await refusal(t.withIdentity(BOB).mutation(api.threads.update, { thread: "demo", title: "mine" }))).code).toBe("forbidden");
    expect((await refusal(t.mutation(api.threads.update, { thread: "demo", title: "mine" }))).code).toBe("unauthenticated");
    expect((await refusal(t.withIdentity(ALICE).mutation(api.threads.update, { thread: "nope", title: "x" }))).code).toBe("not_found");
    const unknown = await refusal(t.withIdentity(ALICE).mutation(api.threads.update, { thread: "demo", latest: "v9", title: "x" }));
    expect(unknown.message).toBe('demo: latest "v9" is not a version of demo: pin a saved version, or null for the newest');
    expect(await t.query(api.threads.get, { thread: "demo" })).toMatchObject({ title: "demo", latest: null });
  });
});
