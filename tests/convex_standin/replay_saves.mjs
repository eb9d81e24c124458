// The same saves and reads against the shipped functions, with or without the stand-in's index speed-up
// (lib/fastindex.mjs), printed as one JSON line: a test runs it both ways and wants the same line.
//   node replay_saves.mjs fast|plain COUNT FUNCTIONS_DIR
import { Backend } from "./lib/backend.mjs";
import { compileFunctions } from "./lib/compile.mjs";
import { speedUpIndexRanges } from "./lib/fastindex.mjs";

const [mode, count, functions] = process.argv.slice(2);
const compiled = await compileFunctions(functions);
const backend = new Backend(compiled);
if (mode === "fast" && !(await speedUpIndexRanges(backend.t))) throw new Error("the speed-up did not install");
const user = (subject) => ({ admin: false, identity: { subject, issuer: "https://i.test", tokenIdentifier: `https://i.test|${subject}` } });
const admin = { admin: true, identity: null };
const seen = [];
for (let i = 0; i < Number(count); i++) {
  const args = { thread: `t${i % 13}`, files: [{ path: "index.html", text: `<p>${i}</p>` }] };
  if (i % 5 === 0) args.version = `v${(i % 7) + 1}`; // some ids taken already: refused as immutable
  const outcome = await backend.call("versions:save", "mutation", args, user(i % 11 === 0 ? "mallory" : "alice"));
  seen.push(outcome.ok ? [outcome.value.version, outcome.value.sha256] : outcome.failure.data?.code ?? outcome.failure.message);
}
for (let cursor = null; ;) {
  const { value } = await backend.call("versions:listForBuild", "query", { paginationOpts: { numItems: 50, cursor } }, admin);
  seen.push(value.page.map((d) => [d.thread, d.version, d.seq, d.sha256, d.author]));
  if (value.isDone) break;
  cursor = value.continueCursor;
}
for (let t = 0; t < 13; t++) {
  const outcome = await backend.call("versions:get", "query", { thread: `t${t}`, version: "v3" }, user("alice"));
  seen.push(outcome.ok ? [outcome.value?.version ?? null, outcome.value?.sha256 ?? null] : outcome.failure.message);
}
// Exit only once the line is out: a pipe is written asynchronously and exit() would cut it.
compiled.cleanup();
process.stdout.write(JSON.stringify(seen) + "\n", () => process.exit(0));
