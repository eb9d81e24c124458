// After a save or a pin, ask GitHub to run the site's publish-version workflow (.github/workflows/publish-version.yml)
// with a repository_dispatch. Off unless the deployment sets GITHUB_DISPATCH_REPO (owner/name) and
// GITHUB_DISPATCH_TOKEN (a fine-grained token for that repository alone with "Contents: read and write", the
// permission GitHub's dispatches endpoint asks for):
//   npx convex env set GITHUB_DISPATCH_REPO acme/demos-site
//   npx convex env set GITHUB_DISPATCH_TOKEN github_pat_...
// The save has committed before the action runs: a refused or failed dispatch is logged (Convex dashboard >
// Logs) and never undoes or fails the save; the nightly build publishes the version anyway.
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalAction } from "./_generated/server";
import type { MutationCtx } from "./_generated/server";

declare const process: { env: Record<string, string | undefined> }; // Convex sets it from the deployment's env

export const GITHUB_API = "https://api.github.com";
export const EVENT_TYPE = "publish-version";
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/; // owner/name: nothing else may reach the URL's path

/** Schedule the dispatch for thread/version when the deployment has a dispatch repository configured; the
 * mutations call this once, after their writes. */
export async function dispatchAfter(ctx: MutationCtx, thread: string, version: string): Promise<void> {
  if (process.env.GITHUB_DISPATCH_REPO) await ctx.scheduler.runAfter(0, internal.dispatch.publish, { thread, version });
}

export type DispatchResult = { sent: boolean; status: number | null; problem: string | null };

/** POST /repos/{owner}/{repo}/dispatches {event_type: "publish-version", client_payload: {thread, version}};
 * GitHub answers 204 when it queued the workflow. INTERNAL: scheduled by versions:save and threads:update. */
export const publish = internalAction({
  args: { thread: v.string(), version: v.string() },
  handler: async (_ctx, args): Promise<DispatchResult> => {
    const repo = process.env.GITHUB_DISPATCH_REPO ?? "";
    const token = process.env.GITHUB_DISPATCH_TOKEN ?? "";
    const ref = `${args.thread}/${args.version}`;
    if (!REPO.test(repo)) return failed(ref, null, `GITHUB_DISPATCH_REPO ${JSON.stringify(repo)} is not owner/name`);
    if (!token) return failed(ref, null, "GITHUB_DISPATCH_TOKEN is not set: npx convex env set GITHUB_DISPATCH_TOKEN ...");
    let response: Response;
    try {
      response = await fetch(`${GITHUB_API}/repos/${repo}/dispatches`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/vnd.github+json",
          "X-GitHub-Api-Version": "2022-11-28",
          "Content-Type": "application/json",
          "User-Agent": "mkdocs-hybrid-convex",
        },
        body: JSON.stringify({ event_type: EVENT_TYPE, client_payload: { thread: args.thread, version: args.version } }),
      });
    } catch (error) {
      return failed(ref, null, `could not reach GitHub (${String((error as Error)?.message ?? error)})`);
    }
    if (response.status !== 204) {
      const body = (await response.text().catch(() => "")).slice(0, 300);
      return failed(ref, response.status, `GitHub answered ${response.status} for ${repo}: ${body || "(no body)"}; ` +
        "check the token's repository and its Contents: read and write permission");
    }
    console.log(`publish-version dispatched for ${ref} to ${repo}`);
    return { sent: true, status: 204, problem: null };
  },
});

function failed(ref: string, status: number | null, problem: string): DispatchResult {
  console.error(`publish-version dispatch for ${ref} not sent: ${problem}; the nightly build publishes it`);
  return { sent: false, status, problem };
}
