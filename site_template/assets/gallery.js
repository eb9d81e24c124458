/* mkdocs-hybrid gallery: client-side filter, copy buttons, click-to-load previews, hover previews.
 *
 * Plain JS, no framework, nothing from another site: the gallery must work on any static host.
 * Everything is progressive: without JS the paged cards, links and the latest preview still work;
 * JS reveals the filter, copy, "show preview" controls and plays hover previews.
 *
 * An index page holds one page of cards. The filter searches every thread from the build's data file
 * (data-hg-data, gallery/threads.{hash}.json), fetched on the first filter, and draws one page of
 * matching cards at a time, so the page stays small at any number of threads.
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

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  /* ---- index filter ------------------------------------------------------------------- */

  function readUrlState() {
    try {
      var params = new URLSearchParams(window.location.search);
      var sort = params.get("sort") === "versions" ? "versions" : "newest";
      return { query: params.get("q") || "", tags: params.getAll("tag"), sort: sort };
    } catch (error) {
      return { query: "", tags: [], sort: "newest" };
    }
  }

  /** Keep the filter in the address bar so a filtered gallery can be shared or bookmarked. */
  function writeUrlState(query, tags, sort) {
    try {
      var url = new URL(window.location.href);
      url.searchParams.delete("q");
      url.searchParams.delete("tag");
      url.searchParams.delete("sort");
      if (query) url.searchParams.set("q", query);
      if (sort !== "newest") url.searchParams.set("sort", sort); // newest is the pages' own order
      tags.forEach(function (tag) {
        url.searchParams.append("tag", tag);
      });
      window.history.replaceState(window.history.state, "", url.href);
    } catch (error) {
      // file:// pages and sandboxed frames may refuse replaceState: the filter still works.
    }
  }

  var loads = {};

  /** The data file, fetched once per URL (material's instant navigation keeps the page, and this, alive). */
  function loadData(url) {
    if (!loads[url]) {
      loads[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
        return response.json();
      }).then(prepare);
      loads[url].catch(function () {
        delete loads[url]; // the next filter tries again
      });
    }
    return loads[url];
  }

  /** What the filter matches per thread, lower-cased once: id, title, description and tags (as the server's). */
  function prepare(data) {
    var count = data.id.length;
    var text = new Array(count);
    for (var i = 0; i < count; i++) {
      var parts = [data.id[i], data.title[i], data.description[i]];
      var tags = data.tagIndexes[i];
      for (var j = 0; j < tags.length; j++) parts.push(data.tags[tags[j]]);
      text[i] = parts.join(" ").toLowerCase();
    }
    var tagIndex = new Map();
    data.tags.forEach(function (tag, index) {
      tagIndex.set(tag, index);
    });
    return { data: data, text: text, tagIndex: tagIndex, count: count };
  }

  /** Positions of the threads that have every word (as a substring) and every tag. */
  function match(index, words, tags) {
    var wanted = [];
    for (var t = 0; t < tags.length; t++) {
      var at = index.tagIndex.get(tags[t]);
      if (at === undefined) return [];
      wanted.push(at);
    }
    var found = [];
    for (var i = 0; i < index.count; i++) {
      var text = index.text[i];
      var ok = true;
      for (var w = 0; ok && w < words.length; w++) ok = text.indexOf(words[w]) !== -1;
      var own = index.data.tagIndexes[i];
      for (var k = 0; ok && k < wanted.length; k++) ok = own.indexOf(wanted[k]) !== -1;
      if (ok) found.push(i);
    }
    return found;
  }

  /** Most versions first; equal counts keep the data file's order (newest first, as the pages). */
  function byVersions(data, found) {
    return found.sort(function (a, b) {
      return data.versions[b] - data.versions[a] || a - b;
    });
  }

  /** One card, with the markup of the server's template (gallery_index.html, macro card). */
  function cardHtml(data, i, base) {
    var id = data.id[i];
    var threadUrl = escapeAttribute(base + "gallery/" + id + "/");
    var html = '<li class="hg-card" data-hg-id="' + escapeAttribute(id) + '">' +
      '<a class="hg-poster hg-poster--' + Number(data.palette[i]) + '" href="' + threadUrl +
      '" tabindex="-1" aria-hidden="true"><span class="hg-initials">' + escapeAttribute(data.initials[i]) + "</span>";
    var poster = data.poster[i]; // 0, [width, height, name] or [width, height, name, url]
    if (poster) {
      var src = poster[3] || (data.artifactsUrl || base) + "artifacts/" + id + "/" + data.latest[i] + "/" + poster[2];
      html += '<img class="hg-poster-img" src="' + escapeAttribute(src) + '" width="' + Number(poster[0]) +
        '" height="' + Number(poster[1]) + '" alt="" loading="lazy" decoding="async">';
    }
    html += '</a><div class="hg-card-body"><h2 class="hg-card-title"><a href="' + threadUrl + '">' +
      escapeAttribute(data.title[i]) + "</a></h2>";
    if (data.description[i]) html += '<p class="hg-desc">' + escapeAttribute(data.description[i]) + "</p>";
    var tags = data.tagIndexes[i];
    if (tags.length) {
      html += '<ul class="hg-tags" aria-label="Tags">';
      for (var j = 0; j < tags.length; j++) html += '<li class="hg-tag">' + escapeAttribute(data.tags[tags[j]]) + "</li>";
      html += "</ul>";
    }
    var created = data.created[i];
    html += '<p class="hg-meta"><span>' + plural(data.versions[i], "version", "versions") + "</span>" +
      '<span>latest <code class="hg-code">' + escapeAttribute(data.latest[i]) + "</code></span>" +
      (created ? '<span>since <time datetime="' + escapeAttribute(created) + '">' + escapeAttribute(created) +
        "</time></span>" : "") + "</p>" +
      '<p class="hg-actions"><a class="hg-button hg-button-primary" href="' +
      escapeAttribute(base + "p/" + id + "/latest/") + '">Open latest</a><a class="hg-button" href="' + threadUrl +
      '">Versions</a></p></div></li>';
    return html;
  }

  function chipHtml(name, count) {
    return '<button type="button" class="hg-chip" aria-pressed="false" data-hg-tag="' + escapeAttribute(name) + '">' +
      escapeAttribute(name) + ' <span class="hg-chip-count">' + Number(count) + "</span></button>";
  }

  function initIndex(root) {
    var filters = root.querySelector("[data-hg-filters]");
    var input = root.querySelector("[data-hg-query]");
    var sorter = root.querySelector("[data-hg-sort]");
    var grid = root.querySelector("[data-hg-cards]");
    if (!filters || !input || !grid) return;
    var status = root.querySelector("[data-hg-status]");
    var empty = root.querySelector("[data-hg-empty]");
    var pageInfo = root.querySelector("[data-hg-page-info]");
    var pager = root.querySelector("[data-hg-pager]");
    var resultsPager = root.querySelector("[data-hg-results-pager]");
    var resultsInfo = root.querySelector("[data-hg-results-info]");
    var previous = root.querySelector("[data-hg-results-prev]");
    var next = root.querySelector("[data-hg-results-next]");
    var more = root.querySelector("details.hg-more-tags");
    var base = root.getAttribute("data-hg-base") || "";
    var dataUrl = root.getAttribute("data-hg-data");
    var total = Number(root.getAttribute("data-hg-total")) || grid.children.length;
    var serverCards = Array.prototype.slice.call(grid.children);
    var index = null;
    var found = [];
    var resultPage = 0;
    var showingResults = false;
    var waiting = false;

    var state = readUrlState();
    var selected = state.tags.slice();
    input.value = state.query;
    if (sorter) sorter.value = state.sort;

    function setStatus(text) {
      if (status) status.textContent = text;
    }

    function syncButtons() {
      each(root, "[data-hg-tag]", function (button) {
        var pressed = selected.indexOf(button.getAttribute("data-hg-tag")) !== -1;
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
      });
    }

    function showServerPage() {
      if (showingResults) {
        grid.textContent = "";
        serverCards.forEach(function (card) {
          grid.appendChild(card);
        });
        showingResults = false;
      }
      if (pager) pager.hidden = false;
      if (pageInfo) pageInfo.hidden = false;
      if (resultsPager) resultsPager.hidden = true;
      if (empty) empty.hidden = true;
      setStatus(plural(total, "demo", "demos"));
    }

    function drawResults() {
      var size = index.data.pageSize || 48;
      var pages = Math.max(1, Math.ceil(found.length / size));
      resultPage = Math.min(resultPage, pages - 1);
      var html = "";
      var end = Math.min(found.length, (resultPage + 1) * size);
      for (var i = resultPage * size; i < end; i++) html += cardHtml(index.data, found[i], base);
      grid.innerHTML = html;
      showingResults = true;
      if (pager) pager.hidden = true;
      if (pageInfo) pageInfo.hidden = true;
      if (empty) empty.hidden = found.length !== 0;
      if (resultsPager) {
        resultsPager.hidden = pages <= 1;
        if (resultsInfo) resultsInfo.textContent = "Page " + (resultPage + 1) + " of " + pages;
        if (previous) previous.disabled = resultPage === 0;
        if (next) next.disabled = resultPage >= pages - 1;
      }
      // Sorted but not filtered: every demo is there, so no "8 of 8".
      setStatus(found.length === total ? plural(total, "demo", "demos") : found.length + " of " + plural(total, "demo", "demos"));
    }

    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var sort = sorter && sorter.value === "versions" ? "versions" : "newest";
      writeUrlState(input.value.trim(), selected, sort);
      syncButtons();
      // The server's pages are the newest order: another order needs every thread, from the data file.
      if (words.length === 0 && selected.length === 0 && sort === "newest") {
        showServerPage();
        return;
      }
      if (index === null) {
        if (!waiting) {
          // Filter once the data is here, by the state the reader has reached by then.
          waiting = true;
          loadData(dataUrl).then(function (loaded) {
            waiting = false;
            index = loaded;
            apply();
          }, function () {
            waiting = false;
            setStatus("The list of demos could not be loaded, so filtering is unavailable.");
          });
        }
        return;
      }
      found = match(index, words, selected);
      if (sort === "versions") byVersions(index.data, found);
      resultPage = 0;
      drawResults();
    }

    function toggleTag(tag) {
      var at = selected.indexOf(tag);
      if (at === -1) selected.push(tag);
      else selected.splice(at, 1);
      apply();
    }

    function clear() {
      input.value = "";
      selected = [];
      apply();
      input.focus();
    }

    function turn(step) {
      resultPage += step;
      drawResults();
      root.scrollIntoView({ block: "start" });
    }

    /** "More tags" too many to ship in the page: drawn from the data file when opened. */
    function fillMoreTags() {
      if (!more || !more.hasAttribute("data-hg-more-lazy") || more.hasAttribute("data-hg-more-filled")) return;
      loadData(dataUrl).then(function (loaded) {
        if (more.hasAttribute("data-hg-more-filled")) return;
        more.setAttribute("data-hg-more-filled", "");
        var data = loaded.data;
        var html = "";
        for (var i = data.featured; i < data.tags.length; i++) html += chipHtml(data.tags[i], data.tagCounts[i]);
        more.querySelector("[data-hg-more]").innerHTML = html;
        syncButtons();
      });
    }

    input.addEventListener("input", apply);
    if (sorter) sorter.addEventListener("change", apply);
    // Fetch the data while the reader is still typing their first word.
    input.addEventListener("focus", function () {
      loadData(dataUrl).catch(function () {});
    });
    root.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-hg-tag]");
      if (button && root.contains(button)) toggleTag(button.getAttribute("data-hg-tag"));
    });
    each(root, "[data-hg-clear]", function (button) {
      button.addEventListener("click", clear);
    });
    if (previous) previous.addEventListener("click", function () { turn(-1); });
    if (next) next.addEventListener("click", function () { turn(1); });
    if (more) more.addEventListener("toggle", function () {
      if (more.open) fillMoreTags();
    });

    // A tag chosen through the URL may sit behind "more tags": open it so the pressed chip shows.
    if (more) {
      var featured = Array.prototype.map.call(filters.querySelectorAll(".hg-chips:not([data-hg-more]) [data-hg-tag]"),
        function (button) { return button.getAttribute("data-hg-tag"); });
      if (selected.some(function (tag) { return featured.indexOf(tag) === -1; })) more.open = true;
    }

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

  /* ---- hover previews ------------------------------------------------------------------- */

  var reducedMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;

  /** A silent loop that plays while its host is hovered or focused: never by itself, never with reduced motion. */
  function initHover(host) {
    var video = host.querySelector("video[data-hg-hover]");
    if (!video) return;
    function play() {
      if (reducedMotion && reducedMotion.matches) return;
      var playing = video.play();
      if (playing && playing.catch) {
        playing.catch(function () {
          // Not playable here (a missing file, a codec): the poster stays.
        });
      }
    }
    function stop() {
      video.pause();
    }
    host.addEventListener("mouseenter", play);
    host.addEventListener("mouseleave", stop);
    host.addEventListener("focusin", play);
    host.addEventListener("focusout", stop);
  }

  /* ---- entry point --------------------------------------------------------------------- */

  function init() {
    // mkdocs-material's search overlay is role="dialog" without a name (axe-core: aria-dialog-name).
    each(document, '.md-search[role="dialog"]:not([aria-label]):not([aria-labelledby])', function (dialog) {
      dialog.setAttribute("aria-label", "Search");
    });
    each(document, "[data-hg-index]", function (root) {
      if (claim(root)) initIndex(root);
    });
    each(document, "[data-hg-thread]", function (root) {
      if (!claim(root)) return;
      absolutizeFields(root);
      each(root, "[data-hg-copy-group]", initCopyGroup);
      each(root, "[data-hg-preview]", initPreview);
      each(root, "[data-hg-hover-host]", initHover);
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
