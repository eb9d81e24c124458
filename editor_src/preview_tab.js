// "Open in new tab": the preview's document in a tab of its own. The tab is a blob: page of the editor's
// origin, so the demo does not run in it: it runs in a sandboxed frame filling that page (allow-scripts only,
// an opaque origin, as in the editor's preview), never with the editor's storage.

import { previewDocument } from "./preview.js";

const REVOKE_AFTER_MS = 60_000; // the new tab has loaded the page long before

function attribute(text) {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** The wrapper page; `result` is a successful build result (builder.js). */
export function tabDocument(result, vendorSource, title) {
  const name = attribute(title);
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    + `<title>${name}</title><style>html,body{margin:0;height:100%}iframe{display:block;width:100%;height:100%;border:0}</style>`
    + `</head><body><iframe sandbox="allow-scripts" title="${name}" srcdoc="${attribute(previewDocument(result, vendorSource))}">`
    + "</iframe></body></html>\n";
}

/** Open the build on screen in a new tab; false when there is none yet. */
export async function openInNewTab(preview, title) {
  const result = preview.current?.result;
  if (!result) return false;
  const vendor = result.vendor ? await preview.vendorSource(result.vendor)
    .catch(() => new URL(result.vendor, preview.siteRoot).href) : null;
  const url = URL.createObjectURL(new Blob([tabDocument(result, vendor, title)], { type: "text/html" }));
  const link = Object.assign(document.createElement("a"), { href: url, target: "_blank", rel: "noopener" });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  return true;
}
