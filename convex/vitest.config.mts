// vitest for the Convex functions (convex-test, Convex's mock backend): `npx vitest run --config convex/vitest.config.mts`
// (tests/convex/test_convex_functions.py runs it).
import { defineConfig } from "vitest/config";

export default defineConfig({
  cacheDir: "../node_modules/.vite-convex", // not convex/node_modules: Convex deploys this folder
  test: {
    root: import.meta.dirname,
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["**/*.test.ts"],
    testTimeout: 60_000,
  },
});
