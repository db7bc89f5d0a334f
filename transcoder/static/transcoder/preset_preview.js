// "What saving does": post the preset form, unsaved, to the preview view; show
// how many renditions a save would rebuild and a before/after of a few images.
(function () {
  "use strict";
  const panel = document.querySelector("[data-preview-url]");
  const form = document.getElementById("preset_form");
  if (!panel || !form) return;
  const run = panel.querySelector("[data-preview-run]");
  const summary = panel.querySelector("[data-preview-summary]");
  const samples = panel.querySelector("[data-preview-samples]");
  let generation = 0;

  function post(extra) {
    const body = new FormData(form);
    Object.entries(extra || {}).forEach(function ([k, v]) { body.append(k, v); });
    return fetch(panel.dataset.previewUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": body.get("csrfmiddlewaretoken"), Accept: "application/json" },
    }).then(function (res) { return res.json().then(function (data) { return { ok: res.ok, data: data }; }); });
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function table(caption, rows) {
    const t = el("table", "mh-preview__table");
    t.appendChild(el("caption", "", caption));
    const head = el("tr");
    ["Output", "Size", "Bytes"].forEach(function (h) { const th = el("th", "", h); th.scope = "col"; head.appendChild(th); });
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    if (!rows.length) {
      const tr = body.appendChild(el("tr"));
      const td = tr.appendChild(el("td", "", "None yet"));
      td.colSpan = 3;
    }
    rows.forEach(function (r) {
      const tr = body.appendChild(el("tr"));
      tr.appendChild(el("td", "", r.label + (r.built_once ? " (one build, same output)" : "")));
      tr.appendChild(el("td", "mh-num", r.size));
      tr.appendChild(el("td", "mh-num", r.bytes));
    });
    return t;
  }

  function figure(src, caption) {
    const f = el("figure", "mh-preview__figure");
    if (src) {
      const img = el("img");
      img.src = src; img.alt = caption;
      f.appendChild(img);
    } else {
      f.appendChild(el("div", "mh-preview__none", "Nothing yet"));
    }
    f.appendChild(el("figcaption", "", caption));
    return f;
  }

  function showSample(data) {
    const card = el("section", "mh-preview__sample");
    card.setAttribute("data-sample", data.asset.id);
    card.appendChild(el("h3", "", data.asset.title));
    const pair = card.appendChild(el("div", "mh-preview__pair"));
    pair.appendChild(figure(data.before_image, "Before: " + data.asset.title));
    pair.appendChild(figure(data.image, "After: " + data.asset.title));
    card.appendChild(table("Before", data.before));
    card.appendChild(table("After", data.after));
    card.appendChild(el("p", "help", data.note));
    samples.appendChild(card);
  }

  function errorText(errors) {
    return Object.entries(errors).map(function ([field, list]) {
      return (field === "__all__" ? "" : field + ": ") + list.map(function (e) { return e.message; }).join(" ");
    }).join(" ");
  }

  async function preview() {
    const mine = ++generation;
    summary.textContent = "Working out what a save would do…";
    samples.textContent = "";
    const res = await post();
    if (mine !== generation) return;
    if (!res.ok) {
      summary.textContent = res.data.errors ? "Fix the form first: " + errorText(res.data.errors) : (res.data.error || "The preview failed.");
      return;
    }
    summary.textContent = res.data.text;
    for (const id of res.data.samples) {
      const one = await post({ sample: id });
      if (mine !== generation) return;
      if (one.ok) showSample(one.data);
    }
    panel.dataset.done = String(mine);
  }

  run.addEventListener("click", preview);
  let timer = null;
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(preview, 500);
  });
})();
