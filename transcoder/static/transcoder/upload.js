// Upload many images at once, each with its own progress bar.
// "django" mode posts each file to the admin; "direct" mode asks the server for a
// presigned POST, sends the file straight to S3, then asks the server to finalize.
(function () {
  "use strict";
  // Django's JavaScript catalog (admin:jsi18n, which admin/base_site.html loads
  // first); without it, English. Looked up at each call, not at load.
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }
  function ngettext(one, many, n) {
    return window.ngettext ? window.ngettext(one, many, n) : (n === 1 ? one : many);
  }
  function fmt(s, o) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); }); }
  const form = document.getElementById("mh-upload");
  if (!form) return;
  const input = document.getElementById("mh-files");
  const drop = form.querySelector(".mh-drop");
  const queue = document.getElementById("mh-queue");
  const summary = document.getElementById("mh-summary");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const maxBytes = parseInt(form.dataset.maxBytes, 10);
  const waiting = [];
  // "Describe first" mode: chosen files wait here, with a title and alt text
  // input per row, until the editor presses "Upload N files".
  const describe = document.getElementById("mh-describe");
  const describeGo = document.getElementById("mh-describe-go");
  const held = [];
  // ok: uploaded and built; refused: refused or failed; processing: uploaded,
  // renditions being built by the worker.
  const tally = { total: 0, ok: 0, refused: 0, processing: 0, duplicates: 0 };
  const POLL_MS = 1000;
  const watching = {};
  let running = 0;

  // Binary units, as Django's filesizeformat and the server's refusals use,
  // with the page language's decimal mark.
  function humanBytes(n) {
    const lang = document.documentElement.lang || undefined;
    const one = function (v) {
      return v.toLocaleString(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    };
    if (n < 1024) return fmt(ngettext("%(size)s byte", "%(size)s bytes", n), { size: n });
    if (n < 1048576) return fmt(gettext("%(size)s KB"), { size: one(n / 1024) });
    return fmt(gettext("%(size)s MB"), { size: one(n / 1048576) });
  }

  // The bar and its percentage move together; uploadDirect sets .value directly.
  function progressPair(label) {
    const wrap = document.createElement("div");
    wrap.className = "mh-progress";
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", label);
    const pct = document.createElement("span");
    pct.className = "mh-pct";
    pct.textContent = "0%";
    wrap.append(bar, pct);
    const handle = {
      get value() { return bar.value; },
      set value(p) {
        const v = Math.max(0, Math.min(100, Math.round(p)));
        bar.value = v;
        pct.textContent = v + "%";
      },
    };
    return { wrap: wrap, handle: handle };
  }

  function row(file) {
    const tr = document.createElement("tr");
    tr.className = "mh-item";
    const name = document.createElement("td");
    name.className = "mh-file";
    name.textContent = file.name;
    const size = document.createElement("small");
    size.textContent = humanBytes(file.size);
    name.appendChild(size);
    const fields = describe && describe.checked ? describeFields(file, name) : null;
    const progressCell = document.createElement("td");
    const pair = progressPair(fmt(gettext("Upload progress of %(name)s"), { name: file.name }));
    progressCell.appendChild(pair.wrap);
    const result = document.createElement("td");
    result.className = "mh-result";
    result.textContent = gettext("Waiting…");
    tr.append(name, progressCell, result);
    queue.tBodies[0].appendChild(tr);
    queue.hidden = false;
    return { tr: tr, progress: pair.handle, result: result, fields: fields };
  }

  function describeFields(file, cell) {
    const wrap = document.createElement("div");
    wrap.className = "mh-describe__fields";
    const title = document.createElement("input");
    title.type = "text"; title.maxLength = 255; title.name = "title";
    title.placeholder = gettext("Title");
    title.setAttribute("aria-label", fmt(gettext("Title of %(name)s"), { name: file.name }));
    const alt = document.createElement("textarea");
    alt.rows = 2; alt.maxLength = 500; alt.name = "alt_text";
    alt.placeholder = gettext("Alt text: what the image shows");
    alt.setAttribute("aria-label", fmt(gettext("Alt text of %(name)s"), { name: file.name }));
    wrap.append(title, alt);
    cell.appendChild(wrap);
    return { title: title, alt: alt };
  }

  // The typed text travels with the file; the inputs lock once it is sent.
  function appendDescription(body, item) {
    if (!item.fields) return;
    body.append("title", item.fields.title.value);
    body.append("alt_text", item.fields.alt.value);
    item.fields.title.readOnly = true;
    item.fields.alt.readOnly = true;
  }

  function send(url, body, onProgress) {
    return window.mediahubTransfer.send(url, body, onProgress, csrf);
  }

  function link(item, text, href) {
    item.result.textContent = "";
    const a = document.createElement("a");
    a.href = href; a.textContent = text;
    item.result.appendChild(a);
  }

  function done(item, ok, message, href, state) {
    item.progress.value = 100;
    item.tr.classList.remove("is-processing");
    item.tr.classList.add(ok ? "is-done" : "is-error");
    item.result.classList.toggle("is-error", !ok);
    if (href) link(item, message, href);
    else item.result.textContent = message;
    if (state) {
      const badge = document.createElement("span");
      badge.className = "mh-state";
      badge.textContent = state;
      item.result.prepend(badge, " ");
    }
    tally[ok ? "ok" : "refused"] += 1;
    report();
  }

  // Uploaded: the worker builds the renditions; poll until they are ready.
  function processing(item, asset) {
    item.progress.value = 100;
    item.tr.classList.add("is-processing");
    link(item, asset.title || gettext("Uploaded"), asset.url);
    const badge = document.createElement("span");
    badge.className = "mh-state";
    badge.textContent = gettext("Processing…");
    item.result.prepend(badge, " ");
    tally.processing += 1;
    lookalike(item, asset);
    watching[asset.id] = { item: item, asset: asset };
    report();
    if (!form.dataset.statusUrl) { settle(asset.id, { state: "ready" }); return; }
    if (Object.keys(watching).length === 1) setTimeout(poll, POLL_MS);
  }

  function settle(id, st) {
    const w = watching[id];
    if (!w) return;
    delete watching[id];
    tally.processing -= 1;
    if (st.state === "failed") {
      done(w.item, false, w.asset.title + ": " + st.error, w.asset.url, gettext("Failed"));
    } else {
      done(w.item, true, w.asset.title || gettext("Uploaded"), w.asset.url, gettext("Ready"));
    }
    lookalike(w.item, w.asset);
  }

  // A near duplicate (a look-alike, not the same bytes): kept, but named, with
  // a link, as an exact duplicate is.
  function lookalike(item, asset) {
    if (!asset.looks_like) return;
    const note = document.createElement("span");
    note.className = "mh-lookalike";
    const a = document.createElement("a");
    a.href = asset.looks_like.url;
    a.textContent = asset.looks_like.title;
    note.append(gettext("Looks like") + " ", a, ".");
    item.result.appendChild(note);
  }

  async function poll() {
    const ids = Object.keys(watching).slice(0, 100);
    if (!ids.length) return;
    try {
      const res = await fetch(form.dataset.statusUrl + "?ids=" + ids.join(","), {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const data = await res.json();
      ids.forEach(function (id) {
        const st = data.assets[id];
        if (!st) { settle(id, { state: "failed", error: gettext("The image was deleted.") }); return; }
        if (st.state !== "processing") { settle(id, st); return; }
        const badge = watching[id].item.result.querySelector(".mh-state");
        if (badge) {
          badge.textContent = st.queued
            ? gettext("Queued…")
            : fmt(ngettext(
              "Processing… %(done)s of %(total)s rendition",
              "Processing… %(done)s of %(total)s renditions", st.total
            ), { done: st.ready, total: st.total });
        }
      });
    } catch (err) { /* try again on the next tick */ }
    if (Object.keys(watching).length) setTimeout(poll, POLL_MS);
  }


  function report() {
    const uploading = running;
    const queued = waiting.length;
    const settled = tally.ok + tally.refused;
    summary.textContent = "";
    if (settled < tally.total) {
      const parts = [];
      if (uploading) parts.push(fmt(gettext("%(n)s uploading"), { n: uploading }));
      if (queued) parts.push(fmt(gettext("%(n)s waiting"), { n: queued }));
      if (held.length) parts.push(fmt(gettext("%(n)s to describe, then Upload"), { n: held.length }));
      if (tally.processing) parts.push(fmt(gettext("%(n)s processing"), { n: tally.processing }));
      if (tally.ok) parts.push(fmt(ngettext("%(n)s ready", "%(n)s ready", tally.ok), { n: tally.ok }));
      if (tally.refused) parts.push(fmt(gettext("%(n)s refused"), { n: tally.refused }));
      summary.textContent = fmt(ngettext("%(n)s file", "%(n)s files", tally.total), { n: tally.total }) + ": " + parts.join(", ") + "…";
      return;
    }
    const parts = [fmt(gettext("%(n)s uploaded"), { n: tally.ok })];
    if (tally.duplicates) {
      parts.push(fmt(gettext("%(n)s already in the library"), { n: tally.duplicates }));
    }
    if (tally.refused - tally.duplicates) {
      parts.push(fmt(gettext("%(n)s refused"), { n: tally.refused - tally.duplicates }));
    }
    summary.append(parts.join(", ") + ".");
    if (tally.ok && form.dataset.listUrl) {
      const a = document.createElement("a");
      a.href = form.dataset.listUrl;
      a.textContent = gettext("See all images");
      summary.appendChild(a);
    }
  }

  function failure(res) {
    if (res.data && res.data.error) return res.data.error;
    if (res.status === 0) return gettext("The connection was lost before the file arrived; try again.");
    if (res.status === 413) return gettext("The server refused the file as too large.");
    return fmt(gettext("The upload failed (HTTP %(status)s)."), { status: res.status });
  }

  function precheck(file) {
    if (file.size === 0) return gettext("This file is empty.");
    if (file.size > maxBytes) {
      return fmt(gettext("This file is %(size)s; the limit is %(limit)s per image."), {
        size: humanBytes(file.size), limit: humanBytes(maxBytes),
      });
    }
    return null;
  }

  // The collection select of the page: the server checks the user may add there.
  function withCollection(body) {
    const select = form.elements.namedItem("collection");
    if (select && select.value) body.append("collection", select.value);
  }

  async function uploadDjango(file, item, anyway) {
    const body = new FormData();
    body.append("file", file);
    withCollection(body);
    if (anyway) body.append("allow_duplicate", "1");
    appendDescription(body, item);
    const res = await send(form.action, body, function (p) {
      item.progress.value = p;
      if (p >= 100) item.result.textContent = gettext("Checking…");
    });
    return res;
  }

  async function uploadDirect(file, item, anyway) {
    const ask = new FormData();
    ask.append("filename", file.name);
    ask.append("content_type", file.type || "application/octet-stream");
    ask.append("size", String(file.size));
    withCollection(ask);
    const presign = await send(form.dataset.presignUrl, ask);
    if (presign.status !== 200 || !presign.data) return presign;
    const body = new FormData();
    Object.entries(presign.data.fields).forEach(function ([k, v]) { body.append(k, v); });
    body.append("file", file);
    const s3 = await send(presign.data.url, body, function (p) { item.progress.value = p; });
    if (s3.status < 200 || s3.status >= 300) {
      return { status: 400, data: { ok: false, error: fmt(gettext("The storage service refused the file (HTTP %(status)s)."), { status: s3.status }) } };
    }
    item.result.textContent = gettext("Checking…");
    const fin = new FormData();
    fin.append("key", presign.data.fields.key);
    fin.append("filename", file.name);
    if (anyway) fin.append("allow_duplicate", "1");
    withCollection(fin);
    appendDescription(fin, item);
    return send(form.dataset.finalizeUrl, fin);
  }

  // Already in the library: link to it, and offer to upload the file anyway
  // (the server stored nothing, so "anyway" sends the file again).
  function duplicate(item, file, res) {
    item.progress.value = 100;
    item.tr.classList.add("is-duplicate");
    item.result.textContent = gettext("Already in the library as") + " ";
    const a = document.createElement("a");
    a.href = res.data.asset.url;
    a.textContent = res.data.asset.title;
    const again = document.createElement("button");
    again.type = "button";
    again.className = "button mh-anyway";
    again.textContent = gettext("Upload anyway");
    again.addEventListener("click", function () {
      item.tr.classList.remove("is-duplicate");
      tally.refused -= 1;
      tally.duplicates -= 1;
      waiting.push({ file: file, item: item, anyway: true });
      report();
      pump();
    });
    item.result.append(a, ". ", again);
    tally.refused += 1;
    tally.duplicates += 1;
    report();
  }

  async function run(file, item, anyway) {
    item.result.textContent = gettext("Uploading…");
    const upload = form.dataset.mode === "direct" ? uploadDirect : uploadDjango;
    const res = await upload(file, item, anyway);
    if (res.data && res.data.ok) {
      processing(item, res.data.asset);
    } else if (res.status === 409 && res.data && res.data.duplicate) {
      duplicate(item, file, res);
    } else {
      done(item, false, failure(res));
    }
  }

  function pump() {
    // How many files travel at once; data-parallel on the form can change it.
    const parallel = parseInt(form.dataset.parallel, 10) || 3;
    while (running < parallel && waiting.length) {
      const job = waiting.shift();
      running += 1;
      report();
      run(job.file, job.item, job.anyway).finally(function () { running -= 1; pump(); report(); });
    }
  }

  function add(files) {
    Array.from(files).forEach(function (file) {
      tally.total += 1;
      const item = row(file);
      const refusal = precheck(file);
      if (refusal) { done(item, false, refusal); return; }
      if (item.fields) { held.push({ file: file, item: item }); item.result.textContent = gettext("Ready to upload"); return; }
      waiting.push({ file: file, item: item });
    });
    showHeld();
    report();
    pump();
  }

  function showHeld() {
    if (!describeGo) return;
    describeGo.hidden = !held.length;
    describeGo.textContent = fmt(
      ngettext("Upload %(n)s file", "Upload %(n)s files", held.length), { n: held.length }
    );
  }

  if (describeGo) {
    describeGo.addEventListener("click", function () {
      waiting.push.apply(waiting, held.splice(0));
      showHeld();
      pump();
    });
  }

  input.addEventListener("change", function () { add(input.files); input.value = ""; });

  window.mediahubTransfer.dropZone(drop, "is-over", { files: add });
  window.addEventListener("beforeunload", function (e) {
    if (running || waiting.length || held.length) { e.preventDefault(); e.returnValue = ""; }
    // Leaving while renditions are built is fine: the worker goes on.
  });
})();
