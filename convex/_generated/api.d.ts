/* eslint-disable */
/**
 * Written by hand to match what `npx convex codegen` writes for this project (no components), because codegen
 * needs a configured deployment (the network) and convex-test needs this folder (codegen also exports `env`,
 * which no function here uses). `npx convex dev` or
 * `npx convex codegen` on a real deployment regenerates it; commit the result.
 */
import type * as dispatch from "../dispatch.js";
import type * as files from "../files.js";
import type * as rules from "../rules.js";
import type * as threads from "../threads.js";
import type * as versions from "../versions.js";
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";

declare const fullApi: ApiFromModules<{
  dispatch: typeof dispatch;
  files: typeof files;
  rules: typeof rules;
  threads: typeof threads;
  versions: typeof versions;
}>;
export declare const api: FilterApi<typeof fullApi, FunctionReference<any, "public">>;
export declare const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">>;
export declare const components: {};
