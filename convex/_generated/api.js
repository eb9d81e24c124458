/* eslint-disable */
/**
 * Written by hand to match what `npx convex codegen` writes for this project (no components), because codegen
 * needs a configured deployment (the network) and convex-test needs this folder (codegen also exports `env`,
 * which no function here uses). `npx convex dev` or
 * `npx convex codegen` on a real deployment regenerates it; commit the result.
 */
import { anyApi, componentsGeneric } from "convex/server";

/** A utility for referencing Convex functions in your app's public API, e.g. `api.versions.save`. */
export const api = anyApi;
/** A utility for referencing Convex functions in your app's internal API, e.g. `internal.versions.listForBuild`. */
export const internal = anyApi;
export const components = componentsGeneric();
