// The toolbar's actions on the open snapshot: Save version (in IndexedDB, and first through the API under
// `mkdocs-hybrid serve`; or to the Convex store when the site has one), Fork, Share, Export and Import. main.js owns the page and passes it as `editor`:
//
//   editor.state            the open snapshot and what is shown (main.js's `state`)
//   editor.format           the SnapshotFormat of the site's recipe
//   editor.db, editor.api   the IndexedDB store (or null), serve's API settings (or null)
//   editor.notice           the notice bar; editor.field(id) is a toolbar element
//   editor.snapshot(version, created), takenVersions(thread), load(data), renderFields(), setUrl(options),
//   saveDraft(), refreshVersions(): the page's own steps
//   editor.store            the ConvexStore (convex_store.js) when the manifest has editor.store, else null;
//   editor.contentType(path), binaryPaths(), showSaveProblems(lines): for it

import { describeError } from "./convex_store.js";
import { postVersion } from "./serve_client.js";
import { SHARE_LIMIT, shareHash } from "./share_link.js";
import { nextVersion, now, randomThreadId } from "./snapshot_format.js";

/** Save the open files as the thread's next version: never overwriting one, here or on the site. */
export async function saveVersion(editor) {
  const { state, format, notice } = editor;
  if (!format.isId(state.thread)) {
    notice.show(`The thread id must match ${format.idRule}.`, { kind: "error" });
    return;
  }
  if (editor.store) {
    await saveToConvex(editor);
    return;
  }
  const button = editor.field("save");
  button.disabled = true;
  try {
    let version = nextVersion(await editor.takenVersions(state.thread));
    let saved = editor.snapshot(version, now());
    let answer = null;
    if (editor.api) {
      answer = await postVersion(editor.api, saved);
      if (answer.version && answer.version !== version) {
        version = answer.version;
        saved = editor.snapshot(version, saved.created);
      }
    }
    await editor.db.addVersion(saved);
    state.version = version;
    state.dirty = false;
    editor.renderFields();
    editor.setUrl();
    await editor.saveDraft();
    await editor.refreshVersions();
    if (answer?.share_url) {
      const href = new URL(answer.share_url, location.href).href;
      notice.show(`Saved ${state.thread}/${version}: `, { link: { href, text: href } });
    } else {
      notice.show(`Saved ${state.thread}/${version} in this browser. Export it to publish it with the site.`);
    }
  } catch (error) {
    // The serve API's own lines already start with "not saved:"; one prefix is enough.
    notice.show(`Not saved: ${error.message.replace(/^not saved:\s*/i, "")}`, { kind: "error" });
  } finally {
    button.disabled = false;
  }
}

/** Save to the Convex store (editor.store: {type: convex}): the deployment assigns the next version id in the same
 * transaction that stores it, and refuses a thread of another author, an existing id or a snapshot its rules
 * refuse (ConvexError data, said here in plain words, the rules' problems listed under Problems). */
async function saveToConvex(editor) {
  const { state, notice } = editor;
  const button = editor.field("save");
  button.disabled = true;
  const started = performance.now();
  try {
    // The next id past the site's and the store's (as listed when the thread opened): a thread the site also
    // publishes from another source keeps one sequence of ids. When another save took that id meanwhile, the
    // store answers `exists` (never an overwrite): list afresh and take the next one, once.
    let answer = null;
    for (const retry of [false, true]) {
      if (retry) await editor.refreshVersions();
      const version = nextVersion(await editor.takenVersions(state.thread));
      try {
        answer = await editor.store.save(editor.snapshot(version), editor.contentType);
        break;
      } catch (error) {
        if (retry || describeError(error).code !== "exists") throw error;
      }
    }
    window.hybridEditor.lastSave = { ...answer, ms: Math.round(performance.now() - started) };
    editor.showSaveProblems([]);
    state.version = answer.version;
    state.dirty = false;
    editor.renderFields();
    editor.setUrl();
    await editor.saveDraft();
    await editor.refreshVersions();
    notice.show(`Saved ${answer.thread}/${answer.version} to Convex: the site's next build publishes it.`);
  } catch (error) {
    const { text, problems, code } = describeError(error);
    editor.showSaveProblems(problems);
    const action = code === "forbidden" ? { text: "Fork", run: () => fork(editor) } : null;
    notice.show(`Not saved: ${text}`, { kind: "error", action });
  } finally {
    button.disabled = false;
  }
}

/** Export and share links carry text files only (the snapshot JSON format): say so instead of losing a file. */
function refusedBinary(editor, what) {
  const binary = editor.binaryPaths();
  if (!binary.length) return false;
  editor.notice.show(`${what} carries text files only, and ${binary.join(", ")} ${binary.length === 1 ? "is" : "are"} ` +
    "binary: Save version keeps them in the Convex store.", { kind: "error" });
  return true;
}

/** Go on in a new thread of one's own: the same files, a new random thread id, its first version next. */
export async function fork(editor) {
  const { state } = editor;
  const base = state.thread.replace(/-[0-9a-f]{8}$/, "").slice(0, 50) || "draft";
  state.thread = randomThreadId(base);
  state.title = state.title ? `${state.title} (fork)` : "";
  editor.field("thread").value = state.thread; // at once: the version id below waits for IndexedDB
  editor.field("title").value = state.title;
  state.version = nextVersion(await editor.takenVersions(state.thread));
  state.dirty = true;
  editor.renderFields();
  editor.setUrl({ version: false });
  await editor.saveDraft();
  await editor.refreshVersions();
  editor.notice.show(`Forked into a new thread, ${state.thread}: Save version makes its ${state.version}.`);
}

/** Download the snapshot JSON (a snapshots source of the site build takes it as it is). */
export async function exportSnapshot(editor) {
  // An edited version gets the next free id: an export never reuses the id of different bytes.
  const { state } = editor;
  if (refusedBinary(editor, "An export")) return;
  const version = state.dirty ? nextVersion(await editor.takenVersions(state.thread)) : state.version;
  download(editor.snapshot(version));
}

function download(snapshot) {
  const blob = new Blob([JSON.stringify(snapshot, null, 2) + "\n"], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${snapshot.thread}-${snapshot.version}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export async function importFile(editor, file) {
  const { state, notice } = editor;
  try {
    const data = editor.format.parseSnapshot(await file.text());
    editor.load(data);
    editor.setUrl({ version: false });
    state.dirty = !(await editor.takenVersions(data.thread)).includes(data.version);
    editor.renderFields();
    await editor.saveDraft();
    notice.show(`Imported ${data.thread}/${data.version} from ${file.name}.`);
  } catch (error) {
    notice.show(`Cannot import ${file.name}: ${error.message}`, { kind: "error" });
  }
}

/** A quick-share link to the open files, copied when the browser lets the page write the clipboard. */
export async function share(editor) {
  if (refusedBinary(editor, "A share link")) return;
  const hash = await shareHash(editor.snapshot());
  if (!hash) {
    editor.notice.show(`Too large for a link (over ${SHARE_LIMIT / 1024} KB compressed): export the snapshot instead.`,
      { kind: "error", action: { text: "Export", run: () => exportSnapshot(editor) } });
    return;
  }
  const url = `${location.origin}${location.pathname}${hash}`;
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch {
    copied = false; // no clipboard permission (e.g. an embedded page): the link is shown instead
  }
  editor.notice.show(copied ? "Link copied: " : "Share link: ", { link: { href: url, text: `${url.slice(0, 60)}…` } });
}
