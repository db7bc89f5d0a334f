// Live status without a reload: job progress in messages, the change list's
// rendition badges and the asset page's gallery all poll one small endpoint
// (/admin/transcoder/asset/status/) until there is nothing left to wait for.
(function () {
  "use strict";
  // Django's JavaScript catalog (admin:jsi18n, which admin/base_site.html loads
  // first); without it, English. Looked up at each call, not at load.
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }
  function ngettext(one, many, n) {
    return window.ngettext ? window.ngettext(one, many, n) : (n === 1 ? one : many);
  }
  function fmt(s, o) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); }); }
  // "3 ready": a count of renditions in one status (also the templates' words).
  function statusCount(state, n) {
    const words = {
      ready: ngettext("%(n)s ready", "%(n)s ready", n),
      pending: ngettext("%(n)s pending", "%(n)s pending", n),
      failed: ngettext("%(n)s failed", "%(n)s failed", n),
    };
    return fmt(words[state] || "%(n)s " + state, { n: n });
  }
  const POLL_MS = 1500;

  function statusUrl() {
    const el = document.querySelector("[data-status-url]");
    return el ? el.dataset.statusUrl : null;
  }

  async function ask(url, ids, jobs) {
    const q = new URLSearchParams();
    if (ids.length) q.set("ids", ids.join(","));
    if (jobs.length) q.set("jobs", jobs.join(","));
    const res = await fetch(url + "?" + q.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!res.ok) throw new Error("HTTP " + res.status);
    return res.json();
  }

  function badge(state, n) {
    const span = document.createElement("span");
    span.className = "mh-status mh-status--" + state;
    span.textContent = statusCount(state, n);
    return span;
  }

  // --- jobs (messages after a preset save, a regenerate or a bulk action) -----
  function showJob(el, job) {
    const bar = el.querySelector("progress");
    const text = el.querySelector(".mh-job__text");
    bar.max = Math.max(1, job.total_assets);
    bar.value = job.done;
    const n = job.total_assets;
    const lang = document.documentElement.lang || undefined;
    const num = function (v) { return v.toLocaleString(lang); };
    text.textContent = job.finished
      ? fmt(ngettext("Done: %(n)s image.", "Done: %(n)s images.", n), { n: num(n) })
      : fmt(ngettext("%(done)s of %(n)s image done…", "%(done)s of %(n)s images done…", n),
        { done: num(job.done), n: num(n) });
    el.classList.toggle("is-done", job.finished);
  }

  // --- change list badges ---------------------------------------------------
  function listRows() {
    const rows = {};
    document.querySelectorAll("#result_list tbody tr").forEach(function (tr) {
      const box = tr.querySelector("input.action-select");
      const cell = tr.querySelector("td.field-rendition_status");
      if (box && cell) rows[box.value] = cell;
    });
    return rows;
  }

  // A row that just finished gets its thumbnail from a fresh copy of the list.
  async function refreshThumbnails(ids) {
    const res = await fetch(window.location.href, { credentials: "same-origin" });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    ids.forEach(function (id) {
      const box = doc.querySelector('#result_list input.action-select[value="' + id + '"]');
      const fresh = box && box.closest("tr").querySelector("td.field-thumbnail, th.field-thumbnail");
      const here = document.querySelector('#result_list input.action-select[value="' + id + '"]');
      const cell = here && here.closest("tr").querySelector("td.field-thumbnail, th.field-thumbnail");
      if (fresh && cell) cell.innerHTML = fresh.innerHTML;
    });
  }

  // Returns true when the row's renditions just changed (a build or a rebuild
  // finished), so its thumbnail is fetched again.
  function showBadges(cell, st) {
    const was = cell.dataset.state;
    const now = st.rebuilding ? "rebuilding" : st.state;
    cell.textContent = "";
    cell.dataset.state = now;
    if (!st.total) { cell.textContent = "—"; return false; }
    [["ready", st.ready], ["pending", st.pending], ["failed", st.failed]].forEach(function (p) {
      if (p[1]) { cell.appendChild(badge(p[0], p[1])); cell.append(" "); }
    });
    if (st.rebuilding) {
      const span = document.createElement("span");
      span.className = "mh-status mh-status--rebuilding";
      span.textContent = gettext("rebuild queued");
      cell.appendChild(span);
    }
    if (st.state === "failed" && st.error) cell.title = st.error;
    const busy = function (s) { return s === "processing" || s === "rebuilding"; };
    return busy(was) && !busy(now);
  }

  // --- the asset page's gallery ------------------------------------------------
  async function refreshGallery(gallery) {
    const res = await fetch(gallery.dataset.galleryUrl, { credentials: "same-origin" });
    if (!res.ok) return;
    const html = await res.text();
    const body = gallery.querySelector("[data-gallery-body]");
    body.innerHTML = html;
    document.dispatchEvent(new CustomEvent("mh:gallery-updated"));
  }

  async function tick() {
    const url = statusUrl();
    if (!url) return;
    const jobs = Array.from(document.querySelectorAll("[data-job]:not(.is-done)"));
    const rows = listRows();
    const gallery = document.querySelector("[data-gallery-url]");
    const ids = Object.keys(rows);
    if (gallery) ids.push(gallery.dataset.assetId);
    if (!jobs.length && !ids.length) return;
    let data;
    try {
      data = await ask(url, ids, jobs.map(function (el) { return el.dataset.job; }));
    } catch (err) {
      setTimeout(tick, POLL_MS * 4);
      return;
    }
    let waiting = false;
    jobs.forEach(function (el) {
      const job = data.jobs[el.dataset.job];
      if (!job) return;
      showJob(el, job);
      if (!job.finished) waiting = true;
    });
    const finished = [];
    Object.entries(rows).forEach(function ([id, cell]) {
      const st = data.assets[id];
      if (!st) return;
      if (showBadges(cell, st)) finished.push(id);
      if (st.state === "processing" || st.rebuilding) waiting = true;
    });
    if (finished.length) refreshThumbnails(finished);
    if (gallery) {
      const st = data.assets[gallery.dataset.assetId];
      if (st) {
        const key = [st.ready, st.failed, st.pending].join("/");
        if (gallery.dataset.seen !== key) {
          if (gallery.dataset.seen !== undefined) await refreshGallery(gallery);
          gallery.dataset.seen = key;
        }
        gallery.dataset.state = st.state;
        const live = gallery.querySelector("[data-gallery-state]");
        if (live) {
          live.textContent = st.state === "processing"
            ? fmt(ngettext(
              "Building renditions: %(done)s of %(total)s ready…",
              "Building renditions: %(done)s of %(total)s ready…", st.total
            ), { done: st.ready, total: st.total })
            : st.state === "failed"
              ? fmt(gettext("Some renditions failed: %(error)s"), { error: st.error }) : "";
        }
        if (st.state === "processing") waiting = true;
      }
    }
    // Keep polling while something is in flight, and slowly otherwise, so a
    // change made elsewhere (a preset save) still shows up.
    setTimeout(tick, waiting ? POLL_MS : POLL_MS * 5);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tick);
  else tick();
})();
