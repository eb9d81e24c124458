// What `npx convex codegen` writes (untyped): references by name, resolved by the backend.
import { anyApi } from "convex/server";

export const api = anyApi;
export const internal = anyApi;
