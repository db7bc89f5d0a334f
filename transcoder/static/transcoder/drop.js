// Files dropped anywhere on the grid upload into the collection the list is
// filtered to (else the default one), through the upload page's own views:
// one POST through Django locally; presign, a direct POST to S3 and finalize
// with S3. A drop where the editor may not add is refused before any byte is
// sent. A small tray shows each file's progress; each new card appears in the
// grid once its renditions are ready.
(function () {
  "use strict";
  const cfg = document.querySelector("[data-drop-upload]");
  const results = document.querySelector(".mh-results--grid");
  if (!cfg || !results) return;
  const d = cfg.dataset;
  const zone = document.getElementById("changelist") || results;
  const csrfInput = document.querySelector("#changelist-form input[name=csrfmiddlewaretoken]");
  const csrf = csrfInput ? csrfInput.value : "";
  const maxBytes = parseInt(d.maxBytes, 10) || Infinity;
  const POLL_MS = 1000;
  const watching = {};
  let tray = null;

  function ensureTray() {
    if (tray) return tray;
    tray = document.createElement("section");
    tray.className = "mh-tray";
    tray.setAttribute("aria-label", d.trayLabel);
    const list = document.createElement("ul");
    list.setAttribute("role", "status");
    list.setAttribute("aria-live", "polite");
    tray.appendChild(list);
    document.body.appendChild(tray);
    return tray;
  }

  function line(text, cls) {
    const li = document.createElement("li");
    li.className = "mh-tray__item" + (cls ? " " + cls : "");
    const name = document.createElement("span");
    name.className = "mh-tray__name";
    name.textContent = text;
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", text);
    const state = document.createElement("span");
    state.className = "mh-tray__state";
    li.append(name, bar, state);
    ensureTray().firstChild.appendChild(li);
    return { li: li, bar: bar, state: state };
  }

  function finish(item, ok, text) {
    item.bar.value = 100;
    item.li.classList.add(ok ? "is-done" : "is-error");
    item.state.textContent = text;
  }

  function send(url, body, onProgress) {
    return window.mediahubTransfer.send(url, body, onProgress, csrf);
  }

  function withCollection(body) { if (d.collection) body.append("collection", d.collection); }

  async function uploadDjango(file, item) {
    const body = new FormData();
    body.append("file", file);
    withCollection(body);
    return send(d.uploadUrl, body, function (p) { item.bar.value = p; });
  }

  async function uploadDirect(file, item) {
    const ask = new FormData();
    ask.append("filename", file.name);
    ask.append("content_type", file.type || "application/octet-stream");
    ask.append("size", String(file.size));
    withCollection(ask);
    const presign = await send(d.presignUrl, ask);
    if (presign.status !== 200 || !presign.data) return presign;
    const body = new FormData();
    Object.entries(presign.data.fields).forEach(function ([k, v]) { body.append(k, v); });
    body.append("file", file);
    const s3 = await send(presign.data.url, body, function (p) { item.bar.value = p; });
    if (s3.status < 200 || s3.status >= 300) return { status: 400, data: { ok: false, error: "HTTP " + s3.status } };
    const fin = new FormData();
    fin.append("key", presign.data.fields.key);
    fin.append("filename", file.name);
    withCollection(fin);
    return send(d.finalizeUrl, fin);
  }

  async function run(file) {
    const item = line(file.name);
    if (!file.size) { finish(item, false, d.empty); return; }
    if (file.size > maxBytes) { finish(item, false, d.tooBig); return; }
    item.state.textContent = d.uploading;
    const res = await (d.mode === "direct" ? uploadDirect : uploadDjango)(file, item);
    if (res.data && res.data.ok) {
      item.bar.value = 100;
      item.state.textContent = d.processing;
      watching[res.data.asset.id] = item;
      if (Object.keys(watching).length === 1) setTimeout(poll, POLL_MS);
    } else {
      finish(item, false, (res.data && res.data.error) || d.failed + " (HTTP " + res.status + ")");
    }
  }

  async function poll() {
    const ids = Object.keys(watching).slice(0, 100);
    if (!ids.length) return;
    const ready = [];
    try {
      const res = await fetch(d.statusUrl + "?ids=" + ids.join(","), { credentials: "same-origin", headers: { Accept: "application/json" } });
      const data = await res.json();
      ids.forEach(function (id) {
        const st = data.assets[id];
        if (st && st.state === "processing") return;
        const item = watching[id];
        delete watching[id];
        if (st && st.state !== "failed") { finish(item, true, d.ready); ready.push(id); }
        else finish(item, false, d.failed + (st && st.error ? ": " + st.error : ""));
      });
    } catch (err) { /* the next tick asks again */ }
    if (ready.length) await showCards(ready);
    if (Object.keys(watching).length) setTimeout(poll, POLL_MS);
  }

  // New cards come from a fresh copy of this very list (same filters, same
  // permissions), put first in the grid.
  async function showCards(ids) {
    const res = await fetch(window.location.href, { credentials: "same-origin" });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    let tbody = results.querySelector("#result_list tbody");
    if (!tbody) { window.location.reload(); return; }
    ids.slice().reverse().forEach(function (id) {
      if (tbody.querySelector('input.action-select[value="' + id + '"]')) return;
      const box = doc.querySelector('#result_list input.action-select[value="' + id + '"]');
      if (box) tbody.prepend(document.importNode(box.closest("tr"), true));
    });
  }

  window.mediahubTransfer.dropZone(zone, "mh-drop-over", {
    enter: function () { zone.dataset.dropHint = d.mayAdd === "1" ? d.hint : d.refusal; },
    effect: function () { return d.mayAdd === "1" ? "copy" : "none"; },
    files: function (files) {
      if (d.mayAdd !== "1") { finish(line(d.refusal, "is-refusal"), false, ""); return; }
      Array.from(files).forEach(run);
    },
  });
})();
