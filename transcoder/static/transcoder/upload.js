// Upload many images at once, each with its own progress bar.
// "django" mode posts each file to the admin; "direct" mode asks the server for a
// presigned POST, sends the file straight to S3, then asks the server to finalize.
(function () {
  "use strict";
  const form = document.getElementById("mh-upload");
  if (!form) return;
  const input = document.getElementById("mh-files");
  const drop = form.querySelector(".mh-drop");
  const queue = document.getElementById("mh-queue");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const maxBytes = parseInt(form.dataset.maxBytes, 10);
  const PARALLEL = 3;
  const waiting = [];
  let running = 0;

  function row(file) {
    const tr = document.createElement("tr");
    tr.className = "mh-item";
    const name = document.createElement("td");
    name.textContent = file.name;
    const progressCell = document.createElement("td");
    const progress = document.createElement("progress");
    progress.max = 100; progress.value = 0;
    progressCell.appendChild(progress);
    const result = document.createElement("td");
    result.className = "mh-result";
    result.textContent = "Waiting…";
    tr.append(name, progressCell, result);
    queue.tBodies[0].appendChild(tr);
    queue.hidden = false;
    return { tr, progress, result };
  }

  function send(url, body, onProgress) {
    return new Promise(function (resolve) {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      if (!(body instanceof FormData) || !url.startsWith("http")) {
        xhr.setRequestHeader("X-CSRFToken", csrf);
      }
      if (onProgress) {
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100));
        });
      }
      xhr.onload = function () {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
        resolve({ status: xhr.status, data: data, text: xhr.responseText });
      };
      xhr.onerror = function () { resolve({ status: 0, data: null, text: "" }); };
      xhr.send(body);
    });
  }

  function done(item, ok, message, href) {
    item.result.textContent = "";
    item.tr.classList.add(ok ? "is-done" : "is-error");
    item.result.classList.toggle("is-error", !ok);
    if (ok && href) {
      const a = document.createElement("a");
      a.href = href; a.textContent = message;
      item.result.appendChild(a);
    } else {
      item.result.textContent = message;
    }
  }

  async function uploadDjango(file, item) {
    const body = new FormData();
    body.append("file", file);
    const res = await send(form.action, body, function (p) { item.progress.value = p; });
    return res;
  }

  async function uploadDirect(file, item) {
    const ask = new FormData();
    ask.append("filename", file.name);
    ask.append("content_type", file.type || "application/octet-stream");
    ask.append("size", String(file.size));
    const presign = await send(form.dataset.presignUrl, ask);
    if (presign.status !== 200 || !presign.data) return presign;
    const body = new FormData();
    Object.entries(presign.data.fields).forEach(function ([k, v]) { body.append(k, v); });
    body.append("file", file);
    const s3 = await send(presign.data.url, body, function (p) { item.progress.value = p; });
    if (s3.status < 200 || s3.status >= 300) {
      return { status: 400, data: { ok: false, error: "The storage service refused the file (HTTP " + s3.status + ")." } };
    }
    item.result.textContent = "Checking…";
    const fin = new FormData();
    fin.append("key", presign.data.fields.key);
    fin.append("filename", file.name);
    return send(form.dataset.finalizeUrl, fin);
  }

  async function run(file) {
    const item = row(file);
    if (file.size > maxBytes) {
      done(item, false, "The file is larger than the limit of " + Math.round(maxBytes / 1e6) + " MB.");
      return;
    }
    item.result.textContent = "Uploading…";
    const upload = form.dataset.mode === "direct" ? uploadDirect : uploadDjango;
    const res = await upload(file, item);
    item.progress.value = 100;
    if (res.data && res.data.ok) {
      done(item, true, res.data.asset.title || "Uploaded", res.data.asset.url);
    } else {
      done(item, false, (res.data && res.data.error) || "The upload failed (HTTP " + res.status + ").");
    }
  }

  function pump() {
    while (running < PARALLEL && waiting.length) {
      const file = waiting.shift();
      running += 1;
      run(file).finally(function () { running -= 1; pump(); });
    }
  }

  function add(files) {
    Array.from(files).forEach(function (f) { waiting.push(f); });
    pump();
  }

  input.addEventListener("change", function () { add(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("is-over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("is-over"); });
  });
  drop.addEventListener("drop", function (e) { add(e.dataTransfer.files); });
})();
