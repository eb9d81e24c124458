/* eslint-disable */
/**
 * Written by hand to match what `npx convex codegen` writes for this project (no components), because codegen
 * needs a configured deployment (the network) and convex-test needs this folder (codegen also exports `env`,
 * which no function here uses). `npx convex dev` or
 * `npx convex codegen` on a real deployment regenerates it; commit the result.
 */
import {
  actionGeneric,
  httpActionGeneric,
  queryGeneric,
  mutationGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";

export const query = queryGeneric;
export const internalQuery = internalQueryGeneric;
export const mutation = mutationGeneric;
export const internalMutation = internalMutationGeneric;
export const action = actionGeneric;
export const internalAction = internalActionGeneric;
export const httpAction = httpActionGeneric;
