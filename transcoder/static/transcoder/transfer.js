// One way to send a file or a form with progress, and one drop zone, shared by
// the upload page (upload.js) and drop-to-upload on the grid (drop.js).
(function () {
  "use strict";

  // POST ``body`` to ``url``; resolve with {status, data (parsed JSON or null),
  // text}. ``onProgress`` hears whole percents of the upload. The CSRF token
  // goes to this server only, never to S3 (a presigned POST's URL is absolute,
  // so the origin is what tells the two apart).
  function send(url, body, onProgress, csrf) {
    return new Promise(function (resolve) {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      if (csrf && new URL(url, window.location.href).origin === window.location.origin) {
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

  function hasFiles(e) {
    return e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  }

  // Make ``zone`` take dropped files. ``over`` is its class while files are over
  // it (enter and leave are counted, so crossing its children keeps it); then
  // ``opts.enter()``, ``opts.effect()`` (the drop effect, "copy" unless given)
  // and ``opts.files(files)`` on a drop. A file dropped just outside never
  // makes the browser leave the page.
  function dropZone(zone, over, opts) {
    let depth = 0;
    zone.addEventListener("dragenter", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault(); depth += 1; zone.classList.add(over);
      if (opts.enter) opts.enter();
    });
    zone.addEventListener("dragover", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault(); e.dataTransfer.dropEffect = opts.effect ? opts.effect() : "copy";
    });
    zone.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove(over);
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault(); depth = 0; zone.classList.remove(over);
      const files = e.dataTransfer && e.dataTransfer.files;
      if (files && files.length) opts.files(files);
    });
    ["dragover", "drop"].forEach(function (t) {
      window.addEventListener(t, function (e) { if (hasFiles(e)) e.preventDefault(); });
    });
  }

  window.mediahubTransfer = { send: send, dropZone: dropZone };
})();
