// Drive a deployment with the real `convex` npm client (ConvexHttpClient, what the editor bundles), for the
// stand-in's contract tests. Reads {url, calls: [{kind, path, args, token?, adminKey?, actingAs?}]} (Convex JSON,
// encoded form) on stdin; prints one JSON line per call: {ok: true, value} (encoded form) or
// {ok: false, name, message, data} (data: a ConvexError's, encoded form).
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { convexToJson, jsonToConvex } from "convex/values";

function reference(path) {
  const [module, name] = path.split(":");
  return module.split("/").reduce((ref, part) => ref[part], anyApi)[name];
}

async function run({ url, calls }) {
  for (const call of calls) {
    const client = new ConvexHttpClient(url, { logger: false });
    if (call.adminKey !== undefined) client.setAdminAuth(call.adminKey, call.actingAs);
    else if (call.token !== undefined) client.setAuth(call.token);
    try {
      const value = await client[call.kind](reference(call.path), jsonToConvex(call.args ?? {}));
      process.stdout.write(JSON.stringify({ ok: true, value: convexToJson(value ?? null) }) + "\n");
    } catch (error) {
      const data = error.data === undefined ? undefined : convexToJson(error.data);
      process.stdout.write(JSON.stringify({ ok: false, name: error.name, message: error.message, data }) + "\n");
    }
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
await run(JSON.parse(Buffer.concat(chunks).toString("utf8")));
