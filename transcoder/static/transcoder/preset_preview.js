// "What saving does": post the preset form, unsaved, to the preview view; show
// how many renditions a save would rebuild and a before/after of a few images.
(function () {
  "use strict";
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }
  function fmt(s, o) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); }); }
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
    [gettext("Output"), gettext("Size"), gettext("Bytes")].forEach(function (h) { const th = el("th", "", h); th.scope = "col"; head.appendChild(th); });
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    if (!rows.length) {
      const tr = body.appendChild(el("tr"));
      const td = tr.appendChild(el("td", "", gettext("None yet")));
      td.colSpan = 3;
    }
    rows.forEach(function (r) {
      const tr = body.appendChild(el("tr"));
      tr.appendChild(el("td", "", r.built_once ? fmt(gettext("%(label)s (one build, same output)"), { label: r.label }) : r.label));
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
      f.appendChild(el("div", "mh-preview__none", gettext("Nothing yet")));
    }
    f.appendChild(el("figcaption", "", caption));
    return f;
  }

  function showSample(data) {
    const card = el("section", "mh-preview__sample");
    card.setAttribute("data-sample", data.asset.id);
    card.appendChild(el("h3", "", data.asset.title));
    const pair = card.appendChild(el("div", "mh-preview__pair"));
    pair.appendChild(figure(data.before_image, fmt(gettext("Before: %(title)s"), { title: data.asset.title })));
    pair.appendChild(figure(data.image, fmt(gettext("After: %(title)s"), { title: data.asset.title })));
    card.appendChild(table(gettext("Before"), data.before));
    card.appendChild(table(gettext("After"), data.after));
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
    summary.textContent = gettext("Working out what a save would do…");
    samples.textContent = "";
    const res = await post();
    if (mine !== generation) return;
    if (!res.ok) {
      summary.textContent = res.data.errors
        ? fmt(gettext("Fix the form first: %(errors)s"), { errors: errorText(res.data.errors) })
        : (res.data.error || gettext("The preview failed."));
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
