// Fill the artifact's page.html exactly as publish/artifacts.py does, from the build's own template.
// recipe.json carries page.html rendered by the build for each combination of its three conditions, with
// sentinels where the values go; this only escapes and substitutes (no second copy of the template).

const SENTINEL = (name) => `\u0000${name}\u0000`;
const PYTHON_SPACE = "[\\s\\x1c-\\x1f\\x85]";
const STRIP = new RegExp(`^${PYTHON_SPACE}+|${PYTHON_SPACE}+$`, "g");

/** markupsafe.escape: what Jinja's autoescape does to a value. */
export function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c]);
}

/** artifacts._inline_script: no "</script" can end the inline module early; Python's str.strip(). */
export function inlineScript(js) {
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(STRIP, "");
}

export const STYLE_MARK = "<!--hybrid:style-->";
export const SCRIPT_MARK = "<!--hybrid:script-->";

/** page.html for a bundle: `js` and `css` strings, `vendorSrc` (site-relative path from the artifact) or null,
 * `html` the split page of an index.html entry or null. */
export function fillPage(recipe, { title, js, css, vendorSrc, html }) {
  const script = inlineScript(js);
  if (html === null) {
    const variant = `css=${css ? 1 : 0} vendor=${vendorSrc ? 1 : 0} js=${script ? 1 : 0}`;
    return recipe.page[variant]
      .replace(SENTINEL("title"), () => escapeHtml(title))
      .replace(SENTINEL("vendor_src"), () => escapeHtml(vendorSrc || ""))
      .replace(SENTINEL("js"), () => script);
  }
  const style = css ? '<link rel="stylesheet" href="style.css">' : "";
  let tag = script ? `<script type="module">${script}</script>` : "";
  if (vendorSrc) tag = `<script src="${vendorSrc}"></script>` + tag;
  return html.template.replace(STYLE_MARK, () => style).replace(SCRIPT_MARK, () => tag);
}
