// One way to send a file or a form with progress, shared by the upload page
// (upload.js) and drop-to-upload on the grid (drop.js).
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

  window.mediahubTransfer = { send: send };
})();
