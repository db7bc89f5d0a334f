/*
 * mediahub's upload widget: drop it into any page with an upload key.
 *
 *   <script src="https://media.example/static/transcoder/widget.js"
 *           data-key="uk_..." data-endpoint="https://media.example"></script>
 *
 * or, from a script: MediahubUpload.mount(element, {key, endpoint}).
 *
 * Each chosen or dropped file is asked for (POST /api/widget/uploads/), sent
 * with progress (a one-time PUT, or a presigned POST straight to S3),
 * finalized, then polled until an editor approves or rejects it. The element
 * fires "mediahub:upload" events whose detail is {file, status, id, reason}.
 * No framework, no build step.
 */
(function () {
  "use strict";

  var TYPES = {
    jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp",
    avif: "image/avif", gif: "image/gif", heic: "image/heic", heif: "image/heif"
  };
  var TEXT = {
    choose: "Choose photos",
    drop: "or drop them here",
    list: "Your uploads",
    asking: "Preparing…",
    sending: "Uploading",
    checking: "Checking…",
    pending: "Received, awaiting review",
    approved: "Approved",
    rejected: "Rejected",
    refused: "Refused",
    failed: "Failed"
  };

  function typeOf(file) {
    if (file.type) return file.type;
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    return TYPES[ext] || "application/octet-stream";
  }

  function errorOf(xhr) {
    try {
      return JSON.parse(xhr.responseText).error || xhr.statusText;
    } catch (e) {
      return xhr.status ? "HTTP " + xhr.status : "The network failed.";
    }
  }

  function request(method, url, body, headers, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(headers || {}).forEach(function (name) {
        xhr.setRequestHeader(name, headers[name]);
      });
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (event) {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        };
      }
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject({status: xhr.status, message: errorOf(xhr), data: data,
                     retryAfter: xhr.getResponseHeader("Retry-After")});
      };
      xhr.onerror = function () { reject({status: 0, message: "The network failed."}); };
      xhr.send(body);
    });
  }

  function json(method, url, payload) {
    return request(method, url, payload ? JSON.stringify(payload) : null,
                   payload ? {"Content-Type": "application/json"} : {});
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var counter = 0;

  function mount(root, options) {
    options = options || {};
    var key = options.key;
    var endpoint = (options.endpoint || "").replace(/\/+$/, "");
    var pollMs = options.pollInterval || 5000;
    var text = Object.assign({}, TEXT, options.text || {});
    if (!key) throw new Error("MediahubUpload needs an upload key.");
    var id = "mediahub-upload-" + (++counter);

    root.classList.add("mediahub-upload");
    var zone = el("div", {"class": "mediahub-upload-zone", "role": "group",
                          "aria-labelledby": id + "-label"});
    var label = el("label", {"for": id + "-input", "id": id + "-label"}, text.choose);
    var input = el("input", {type: "file", id: id + "-input", multiple: "",
                             accept: options.accept || "image/*"});
    var hint = el("span", {"class": "mediahub-upload-hint"}, " " + text.drop);
    var list = el("ul", {"class": "mediahub-upload-list", "aria-live": "polite",
                         "aria-label": text.list});
    zone.appendChild(label);
    zone.appendChild(input);
    zone.appendChild(hint);
    root.appendChild(zone);
    root.appendChild(list);

    function emit(detail) {
      root.dispatchEvent(new CustomEvent("mediahub:upload", {detail: detail, bubbles: true}));
    }

    function row(file) {
      var item = el("li", {"class": "mediahub-upload-item"});
      var name = el("span", {"class": "mediahub-upload-name"}, file.name);
      var bar = el("progress", {max: "100", value: "0", "aria-label": file.name});
      var state = el("span", {"class": "mediahub-upload-status"}, text.asking);
      item.appendChild(name);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(bar);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(state);
      list.appendChild(item);
      return {
        item: item,
        progress: function (fraction) {
          bar.value = Math.round(fraction * 100);
          state.textContent = text.sending + " " + bar.value + "%";
        },
        status: function (status, reason) {
          item.setAttribute("data-status", status);
          if (status !== "sending") bar.value = 100;
          state.textContent = (text[status] || status) + (reason ? ": " + reason : "");
        }
      };
    }

    function poll(file, ui, upload) {
      var url = upload.status_url + "?key=" + encodeURIComponent(key);
      var timer = setInterval(function () {
        json("GET", url).then(function (answer) {
          if (answer.status === "pending") return;
          clearInterval(timer);
          ui.status(answer.status, answer.reason);
          emit({file: file, id: upload.id, status: answer.status,
                reason: answer.reason, asset: answer.asset});
        }, function (error) {
          if (error.status >= 400 && error.status < 500 && error.status !== 429) {
            clearInterval(timer);
            ui.status("failed", error.message);
          }
        });
      }, pollMs);
    }

    function send(file) {
      var ui = row(file);
      var type = typeOf(file);
      return json("POST", endpoint + "/api/widget/uploads/", {
        key: key, filename: file.name, content_type: type, size: file.size
      }).then(function (upload) {
        ui.status("sending");
        ui.progress(0);
        var body, headers = {};
        if (upload.method === "POST") {
          body = new FormData();
          Object.keys(upload.fields).forEach(function (k) { body.append(k, upload.fields[k]); });
          body.append("file", file);
        } else {
          body = file;
          headers["Content-Type"] = upload.content_type;
        }
        return request(upload.method, upload.url, body, headers, ui.progress).then(function () {
          ui.status("checking");
          return json("POST", endpoint + "/api/widget/uploads/finalize/", {key: key, id: upload.id});
        }).then(function (answer) {
          ui.status(answer.status);
          emit({file: file, id: upload.id, status: answer.status});
          poll(file, ui, upload);
        });
      }).catch(function (error) {
        var refused = error.data && error.data.upload;
        var status = refused ? "refused" : "failed";
        ui.status(status, error.message);
        emit({file: file, status: status, reason: error.message,
              retryAfter: error.retryAfter || null});
      });
    }

    function take(files) {
      Array.prototype.forEach.call(files, send);
    }

    input.addEventListener("change", function () {
      take(input.files);
      input.value = "";
    });
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("mediahub-upload-over");
    });
    zone.addEventListener("dragleave", function () {
      zone.classList.remove("mediahub-upload-over");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("mediahub-upload-over");
      if (event.dataTransfer) take(event.dataTransfer.files);
    });
    return {element: root, send: send};
  }

  window.MediahubUpload = {mount: mount};

  var script = document.currentScript;
  if (script && script.getAttribute("data-key")) {
    var target = script.getAttribute("data-target");
    var root = target ? document.querySelector(target) : null;
    if (!root) {
      root = document.createElement("div");
      script.parentNode.insertBefore(root, script.nextSibling);
    }
    mount(root, {key: script.getAttribute("data-key"),
                 pollInterval: Number(script.getAttribute("data-poll-interval")) || 0,
                 endpoint: script.getAttribute("data-endpoint") ||
                   new URL(script.src).origin});
  }
})();
