/* mkdocs-hybrid gallery: client-side filter, copy buttons, click-to-load previews.
 *
 * Plain JS, no framework, no network: the gallery must work offline and on any
 * static host. Everything is progressive: without JS the cards, links and the
 * latest preview still work; JS reveals the filter, copy and "show preview" controls.
 */
(function () {
  "use strict";

  if (window.hybridGallery) {
    // Loaded again (material's instant navigation re-runs page scripts): just re-scan the page.
    window.hybridGallery.init();
    return;
  }

  var READY = "data-hg-ready";

  /* ---- helpers ------------------------------------------------------------------------- */

  /** Resolve a relative link against the current page: the share URL a reader can paste anywhere. */
  function absoluteUrl(href) {
    try {
      return new URL(href, window.location.href).href;
    } catch (error) {
      return href;
    }
  }

  /** The same escaping as the server side (markupsafe), for text inside an attribute. */
  function escapeAttribute(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;")
      .replace(/'/g, "&#39;");
  }

  function claim(element) {
    if (element.hasAttribute(READY)) return false;
    element.setAttribute(READY, "");
    return true;
  }

  function each(root, selector, callback) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), callback);
  }

  function parseTags(card) {
    try {
      var tags = JSON.parse(card.getAttribute("data-hg-tags") || "[]");
      return Array.isArray(tags) ? tags.map(String) : [];
    } catch (error) {
      return [];
    }
  }

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  /* ---- index filter ------------------------------------------------------------------- */

  function readUrlState() {
    try {
      var params = new URLSearchParams(window.location.search);
      return { query: params.get("q") || "", tags: params.getAll("tag") };
    } catch (error) {
      return { query: "", tags: [] };
    }
  }

  /** Keep the filter in the address bar so a filtered gallery can be shared or bookmarked. */
  function writeUrlState(query, tags) {
    try {
      var url = new URL(window.location.href);
      url.searchParams.delete("q");
      url.searchParams.delete("tag");
      if (query) url.searchParams.set("q", query);
      tags.forEach(function (tag) {
        url.searchParams.append("tag", tag);
      });
      window.history.replaceState(window.history.state, "", url.href);
    } catch (error) {
      // file:// pages and sandboxed frames may refuse replaceState: the filter still works.
    }
  }

  function initIndex(root) {
    var filters = root.querySelector("[data-hg-filters]");
    var input = root.querySelector("[data-hg-query]");
    var status = root.querySelector("[data-hg-status]");
    var empty = root.querySelector("[data-hg-empty]");
    var buttons = Array.prototype.slice.call(root.querySelectorAll("[data-hg-tag]"));
    var cards = Array.prototype.map.call(root.querySelectorAll("[data-hg-cards] > li"), function (card) {
      return {
        element: card,
        text: (card.getAttribute("data-hg-search") || "").toLowerCase(),
        tags: parseTags(card),
      };
    });
    if (!filters || !input) return;

    var state = readUrlState();
    var selected = state.tags.slice();
    input.value = state.query;

    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      cards.forEach(function (card) {
        var visible =
          words.every(function (word) { return card.text.indexOf(word) !== -1; }) &&
          selected.every(function (tag) { return card.tags.indexOf(tag) !== -1; });
        card.element.hidden = !visible;
        if (visible) shown += 1;
      });
      buttons.forEach(function (button) {
        var pressed = selected.indexOf(button.getAttribute("data-hg-tag")) !== -1;
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
      });
      var filtered = words.length > 0 || selected.length > 0;
      if (status) {
        status.textContent = filtered
          ? shown + " of " + plural(cards.length, "demo", "demos")
          : plural(cards.length, "demo", "demos");
      }
      if (empty) empty.hidden = shown !== 0;
      writeUrlState(input.value.trim(), selected);
    }

    function toggleTag(tag) {
      var index = selected.indexOf(tag);
      if (index === -1) selected.push(tag);
      else selected.splice(index, 1);
      apply();
    }

    function clear() {
      input.value = "";
      selected = [];
      apply();
      input.focus();
    }

    input.addEventListener("input", apply);
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        toggleTag(button.getAttribute("data-hg-tag"));
      });
    });
    each(root, "[data-hg-clear]", function (button) {
      button.addEventListener("click", clear);
    });

    // A tag chosen through the URL may sit behind "more tags": open it so the pressed chip shows.
    each(root, "details.hg-more-tags", function (details) {
      var hidesSelected = Array.prototype.some.call(details.querySelectorAll("[data-hg-tag]"), function (button) {
        return selected.indexOf(button.getAttribute("data-hg-tag")) !== -1;
      });
      if (hidesSelected) details.open = true;
    });

    filters.hidden = false;
    apply();
  }

  /* ---- copy buttons ------------------------------------------------------------------- */

  function selectField(field) {
    field.focus();
    field.select();
    // iOS Safari ignores select() on read-only fields without an explicit range.
    try {
      field.setSelectionRange(0, field.value.length);
    } catch (error) {
      /* not a text field */
    }
  }

  /** Copy with the Clipboard API when allowed, else the legacy command on the selected field. */
  function copyText(text, field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return legacyCopy(field); }
      );
    }
    return Promise.resolve(legacyCopy(field));
  }

  function legacyCopy(field) {
    selectField(field);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function flash(button, label) {
    var original = button.getAttribute("data-hg-label") || button.textContent;
    button.setAttribute("data-hg-label", original);
    button.textContent = label;
    window.clearTimeout(Number(button.getAttribute("data-hg-timer")) || 0);
    var timer = window.setTimeout(function () {
      button.textContent = original;
    }, 2000);
    button.setAttribute("data-hg-timer", String(timer));
  }

  /** Tell screen readers what happened; sighted readers see the button's label change. */
  function announce(message) {
    var status = document.querySelector("[data-hg-copy-status]");
    if (status) status.textContent = message;
  }

  function initCopyGroup(group) {
    var field = group.querySelector("input, textarea");
    var button = group.querySelector("[data-hg-copy]");
    if (!field || !button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(field.value, field).then(function (copied) {
        if (copied) {
          flash(button, "Copied!");
          announce("Copied to the clipboard.");
        } else {
          // No clipboard access (e.g. plain http): leave the text selected for the reader to copy.
          selectField(field);
          flash(button, "Press Ctrl+C");
          announce("Selected: copy it with your keyboard or the context menu.");
        }
      });
    });
    field.addEventListener("focus", function () {
      selectField(field);
    });
  }

  /** Show absolute URLs: a relative share link is useless once pasted elsewhere. */
  function absolutizeFields(root) {
    each(root, "[data-hg-url]", function (field) {
      field.value = absoluteUrl(field.getAttribute("data-hg-url"));
    });
    each(root, "[data-hg-embed-src]", function (field) {
      var src = field.getAttribute("data-hg-embed-src");
      var from = 'src="' + escapeAttribute(src) + '"';
      var to = 'src="' + escapeAttribute(absoluteUrl(src)) + '"';
      field.value = field.value.split(from).join(to);
    });
  }

  /* ---- previews ------------------------------------------------------------------------ */

  function initPreview(preview) {
    var template = preview.querySelector("template[data-hg-frame]");
    var button = preview.querySelector("[data-hg-show-preview]");
    if (!template || !button || !template.content) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var frame = document.importNode(template.content, true);
      preview.textContent = "";
      preview.classList.remove("hg-preview-deferred");
      preview.appendChild(frame);
    });
  }

  /* ---- entry point --------------------------------------------------------------------- */

  function init() {
    each(document, "[data-hg-index]", function (root) {
      if (claim(root)) initIndex(root);
    });
    each(document, "[data-hg-thread]", function (root) {
      if (!claim(root)) return;
      absolutizeFields(root);
      each(root, "[data-hg-copy-group]", initCopyGroup);
      each(root, "[data-hg-preview]", initPreview);
    });
  }

  window.hybridGallery = { init: init };

  // mkdocs-material's instant navigation swaps page content without a reload.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
