// The Convex side of the publish trigger through convex-test: a save or a pin schedules dispatch:publish, which
// POSTs GitHub's repository_dispatch endpoint (stood in by a stubbed fetch); a failed dispatch never fails a save.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api";
import { ALICE, FILES, backend, counts } from "./testing.helpers";

type Sent = { url: string; method: string; headers: Record<string, string>; body: { event_type: string; client_payload: { thread: string; version: string } } };

/** GitHub's POST /repos/{owner}/{repo}/dispatches: records each request and answers `answer` (204 by default). */
function stubGithub(answer: () => Response | Promise<Response> = () => new Response(null, { status: 204 })): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => { headers[name] = value; });
    sent.push({ url: String(url), method: init.method ?? "GET", headers, body: JSON.parse(String(init.body)) });
    return answer();
  });
  return sent;
}

async function settle(t: ReturnType<typeof backend>): Promise<void> {
  await t.finishAllScheduledFunctions(vi.runAllTimers);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubEnv("GITHUB_DISPATCH_REPO", "acme/demos-site");
  vi.stubEnv("GITHUB_DISPATCH_TOKEN", "github_pat_test");
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("a save asks GitHub to run publish-version", () => {
  test("one POST to the repository's dispatches endpoint, with the token, GitHub's headers and {thread, version}", async () => {
    const sent = stubGithub();
    const t = backend();
    const saved = await t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: FILES });
    await settle(t);
    expect(sent).toEqual([{
      url: "https://api.github.com/repos/acme/demos-site/dispatches",
      method: "POST",
      headers: {
        authorization: "Bearer github_pat_test", accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28", "content-type": "application/json", "user-agent": "mkdocs-hybrid-convex",
      },
      body: { event_type: "publish-version", client_payload: { thread: "demo", version: saved.version } },
    }]);
    expect(saved.version).toBe("v1");
  });

  test("pinning latest dispatches the pinned version; other thread changes do not dispatch", async () => {
    const sent = stubGithub();
    const t = backend();
    const alice = t.withIdentity(ALICE);
    await alice.mutation(api.versions.save, { thread: "demo", files: FILES });
    await alice.mutation(api.versions.save, { thread: "demo", files: FILES });
    await settle(t);
    expect(sent.map((s) => s.body.client_payload.version)).toEqual(["v1", "v2"]);
    sent.length = 0;
    await alice.mutation(api.threads.update, { thread: "demo", title: "Renamed" });
    await alice.mutation(api.threads.update, { thread: "demo", latest: "v1" });
    await settle(t);
    expect(sent.map((s) => s.body)).toEqual([{ event_type: "publish-version", client_payload: { thread: "demo", version: "v1" } }]);
  });

  test("a refused save dispatches nothing", async () => {
    const sent = stubGithub();
    const t = backend();
    await expect(t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", version: "latest", files: FILES })).rejects.toThrow();
    await settle(t);
    expect(sent).toEqual([]);
  });

  test("without GITHUB_DISPATCH_REPO nothing is scheduled and nothing is sent", async () => {
    vi.stubEnv("GITHUB_DISPATCH_REPO", "");
    const sent = stubGithub();
    const t = backend();
    await t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: FILES });
    await settle(t);
    expect(sent).toEqual([]);
    const scheduled = await t.run((ctx) => ctx.db.system.query("_scheduled_functions").collect());
    expect(scheduled).toEqual([]);
  });
});

describe("a failed dispatch is logged and never fails the save", () => {
  const cases: [string, () => Response | Promise<Response>, RegExp][] = [
    ["GitHub refuses the token (401)", () => new Response('{"message":"Bad credentials"}', { status: 401 }),
      /^publish-version dispatch for demo\/v1 not sent: GitHub answered 401 for acme\/demos-site: \{"message":"Bad credentials"\}; check the token's repository and its Contents: read and write permission; the nightly build publishes it$/],
    ["GitHub is down (503)", () => new Response("", { status: 503 }), /GitHub answered 503 for acme\/demos-site: \(no body\)/],
    ["the network fails", () => Promise.reject(new TypeError("fetch failed")), /not sent: could not reach GitHub \(fetch failed\)/],
  ];

  test.each(cases)("%s", async (_name, answer, logged) => {
    const sent = stubGithub(answer);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const t = backend();
    const saved = await t.withIdentity(ALICE).mutation(api.versions.save, { thread: "demo", files: FILES });
    await settle(t);
    expect(sent).toHaveLength(1);
    expect(errors.mock.calls.map((call) => String(call[0]))).toEqual([expect.stringMatching(logged)]);
    expect(await counts(t)).toEqual({ threads: 1, versions: 1 });
    expect((await t.query(api.versions.get, { thread: "demo", version: saved.version }))?.files).toEqual(FILES);
  });

  test("a repository setting that is not owner/name, or no token, sends nothing and says which", async () => {
    const sent = stubGithub();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const t = backend();
    vi.stubEnv("GITHUB_DISPATCH_REPO", "acme/site/../../orgs/x");
    expect(await t.action(internal.dispatch.publish, { thread: "demo", version: "v1" })).toMatchObject({ sent: false, status: null });
    vi.stubEnv("GITHUB_DISPATCH_REPO", "acme/demos-site");
    vi.stubEnv("GITHUB_DISPATCH_TOKEN", "");
    expect(await t.action(internal.dispatch.publish, { thread: "demo", version: "v1" })).toMatchObject({ sent: false });
    expect(sent).toEqual([]);
    expect(errors.mock.calls.map((call) => String(call[0]))).toEqual([
      'publish-version dispatch for demo/v1 not sent: GITHUB_DISPATCH_REPO "acme/site/../../orgs/x" is not owner/name; the nightly build publishes it',
      "publish-version dispatch for demo/v1 not sent: GITHUB_DISPATCH_TOKEN is not set: npx convex env set GITHUB_DISPATCH_TOKEN ...; the nightly build publishes it",
    ]);
  });
});
