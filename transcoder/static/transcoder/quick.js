// The grid's details panel: click a card (or Enter on its link) to edit its
// title, alt text, caption, credit, tags and collection beside the grid, as
// WordPress's Attachment Details does. A field saves on blur or Enter (or with
// Save); J/→ and K/← move to the next and previous card when focus is not in a
// text field; Escape leaves a field, then closes the panel and returns focus
// to the card. The panel is admin/images/quick.py's HTML; saves answer in JSON.
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
  const results = document.querySelector(".mh-results--grid");
  const config = document.querySelector("[data-quick-url]");
  if (!results || !config) return;
  const POLL_MS = 1500;
  const TEXT = "input[type=text], input:not([type]), textarea, select";
  const panel = document.createElement("aside");
  panel.className = "mh-quick";
  panel.id = "mh-quick";
  panel.tabIndex = -1;
  panel.hidden = true;
  panel.setAttribute("aria-labelledby", "mh-quick-heading");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "mh-quick__close";
  close.setAttribute("aria-label", config.dataset.closeLabel || gettext("Close details"));
  close.textContent = "×";
  const body = document.createElement("div");
  panel.append(close, body);
  // Outside the change list's form: a form inside a form would be dropped.
  (document.getElementById("content-main") || document.body).appendChild(panel);

  let current = null; // the card (tr) shown
  let saving = Promise.resolve(true);
  let pollTimer = null;

  function cards() { return Array.from(results.querySelectorAll("#result_list tbody tr")); }
  function idOf(card) {
    const box = card.querySelector("input.action-select");
    return box ? box.value : null;
  }
  function cardLink(card) { return card.querySelector("th a, td a"); }
  function urlFor(id) { return config.dataset.quickUrl.replace("00000000-0000-0000-0000-000000000000", id); }
  function form() { return body.querySelector("form.mh-quick__form"); }
  function fields() { return form() ? Array.from(form().querySelectorAll("[name]:not([name=csrfmiddlewaretoken])")) : []; }
  function saved() { return body.querySelector("[data-quick-saved]"); }

  function say(text, bad) {
    const el = saved();
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("is-error", !!bad);
  }

  // --- open, move, close --------------------------------------------------
  async function open(card, focusPanel) {
    if (!(await saving) || !(await saveDirty())) return false;
    const id = idOf(card);
    if (!id) return false;
    const res = await fetch(urlFor(id), { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!res.ok) { say(config.dataset.loadError || "Could not load the image.", true); return false; }
    body.innerHTML = await res.text();
    if (current) current.classList.remove("is-quick");
    current = card;
    card.classList.add("is-quick");
    panel.hidden = false;
    document.body.classList.add("mh-quick-open");
    fields().forEach(function (f) { f.dataset.saved = f.value; });
    body.dispatchEvent(new CustomEvent("mh:fields-added", { bubbles: true }));
    watchStatus(id);
    if (focusPanel !== false) panel.focus();
    card.scrollIntoView({ block: "nearest" });
    return true;
  }

  async function move(step) {
    if (!current) return;
    const all = cards();
    const next = all[all.indexOf(current) + step];
    if (next) await open(next);
  }

  async function shut() {
    if (!(await saving) || !(await saveDirty())) return;
    clearTimeout(pollTimer);
    panel.hidden = true;
    document.body.classList.remove("mh-quick-open");
    const card = current;
    current = null;
    if (card) {
      card.classList.remove("is-quick");
      const link = cardLink(card);
      if (link) link.focus();
    }
  }

  // --- saving -------------------------------------------------------------
  function dirty() { return fields().filter(function (f) { return !f.disabled && f.value !== f.dataset.saved; }); }

  function saveDirty() {
    const names = dirty();
    return names.length ? save(names) : Promise.resolve(true);
  }

  function showErrors(errors) {
    body.querySelectorAll("[data-error-for]").forEach(function (p) {
      const name = p.dataset.errorFor;
      const field = form().elements.namedItem(name);
      const list = errors[name] || [];
      p.hidden = !list.length;
      p.textContent = list.map(function (e) { return e.message; }).join(" ");
      if (field) {
        if (list.length) {
          field.setAttribute("aria-invalid", "true");
          field.setAttribute("aria-describedby", p.id);
        } else {
          field.removeAttribute("aria-invalid");
          field.removeAttribute("aria-describedby");
        }
      }
    });
  }

  function reflect(card, asset) {
    if (!card) return;
    const title = card.querySelector("th.field-__str__ a, td.field-__str__ a");
    if (title) title.textContent = asset.label;
    const img = card.querySelector("img.mh-thumb");
    if (img) img.alt = asset.alt_text || asset.label;
    const tags = card.querySelector("td.field-tag_list");
    if (tags) {
      tags.textContent = "";
      asset.tag_names.forEach(function (n) {
        const s = document.createElement("span");
        s.className = "mh-tag"; s.textContent = n;
        tags.append(s, " ");
      });
    }
    const coll = card.querySelector("td.field-collection");
    if (coll && asset.collection_name) coll.textContent = asset.collection_name;
  }

  // Saves run one after another; the typed text stays in its field whatever
  // the answer, and only what was sent becomes the saved baseline.
  function save(list) {
    const f = form();
    if (!f || !list.length) return Promise.resolve(true);
    const card = current;
    const sent = {};
    const data = new FormData();
    data.append("csrfmiddlewaretoken", f.elements.namedItem("csrfmiddlewaretoken").value);
    list.forEach(function (field) { sent[field.name] = field.value; data.append(field.name, field.value); });
    say(config.dataset.savingLabel || "Saving…");
    saving = saving.then(async function () {
      let res, answer = null;
      try {
        res = await fetch(f.action, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } });
        answer = await res.json().catch(function () { return null; });
      } catch (err) {
        say(config.dataset.offlineLabel || "Not saved: the connection failed. Your text is kept; try again.", true);
        return false;
      }
      if (form() !== f) return !!(answer && answer.ok);
      if (answer && answer.ok) {
        list.forEach(function (field) { field.dataset.saved = sent[field.name]; });
        showErrors({});
        say(config.dataset.savedLabel || "Saved");
        reflect(card, answer.asset);
        return true;
      }
      if (answer && answer.errors) {
        showErrors(answer.errors);
        say(config.dataset.errorLabel || "Not saved: see the field.", true);
      } else {
        say((config.dataset.refusedLabel || "Not saved") + " (HTTP " + (res ? res.status : 0) + ").", true);
      }
      return false;
    });
    return saving;
  }

  // --- live status (the status endpoint status.js polls too) ----------------
  function badge(state, text) {
    const s = document.createElement("span");
    s.className = "mh-status mh-status--" + state;
    s.textContent = text;
    return s;
  }

  function watchStatus(id) {
    clearTimeout(pollTimer);
    const url = config.dataset.statusUrl;
    if (!url) return;
    async function tick() {
      if (!current || idOf(current) !== id) return;
      let st;
      try {
        const res = await fetch(url + "?ids=" + encodeURIComponent(id), { credentials: "same-origin", headers: { Accept: "application/json" } });
        st = (await res.json()).assets[id];
      } catch (err) { st = null; }
      const el = body.querySelector("[data-quick-status]");
      if (st && el && idOf(current) === id) {
        el.textContent = "";
        [["ready", st.ready], ["pending", st.pending], ["failed", st.failed]].forEach(function (p) {
          if (p[1]) el.append(badge(p[0], statusCount(p[0], p[1])), " ");
        });
        if (st.state === "processing") el.append(badge("processing", config.dataset.processingLabel || "processing"));
        if (st.rebuilding) el.append(badge("rebuilding", config.dataset.rebuildingLabel || "rebuild queued"));
        if (!st.total) el.textContent = "—";
      }
      const busy = st && (st.state === "processing" || st.rebuilding);
      pollTimer = setTimeout(tick, busy ? POLL_MS : POLL_MS * 5);
    }
    tick();
  }

  // --- events ---------------------------------------------------------------
  results.addEventListener("click", function (e) {
    const card = e.target.closest("#result_list tbody tr");
    if (!card || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    if (e.target.closest("input, label, .action-checkbox, button")) return;
    e.preventDefault();
    open(card);
  });

  close.addEventListener("click", shut);

  body.addEventListener("submit", function (e) {
    e.preventDefault();
    const all = fields().filter(function (f) { return !f.disabled; });
    save(dirty().length ? dirty() : all);
  });

  // A tag chip box's entry (tags.js) stands for the hidden field that holds
  // the tags and that tags.js keeps in step: that is what is saved.
  function savedField(t) {
    const box = t.closest && t.closest(".mh-chips");
    return box && box.previousElementSibling ? box.previousElementSibling : t;
  }

  body.addEventListener("focusout", function (e) {
    const field = savedField(e.target);
    if (!field.name || field.disabled || field.tagName === "SELECT") return;
    if (field.value !== field.dataset.saved) save([field]);
  });

  body.addEventListener("change", function (e) {
    if (e.target.tagName === "SELECT" && e.target.value !== e.target.dataset.saved) save([e.target]);
  });

  document.addEventListener("keydown", function (e) {
    if (panel.hidden) return;
    const t = e.target;
    const inPanel = panel.contains(t);
    if (inPanel && t.matches(TEXT)) {
      if (e.key === "Escape") { e.preventDefault(); panel.focus(); return; }
      // Enter saves a one-line field; the caption takes Ctrl+Enter (it may
      // hold line breaks).
      const multi = t.name === "caption";
      if (e.key === "Enter" && (!multi || e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        const field = savedField(t);
        if (field.value !== field.dataset.saved) save([field]);
        else say(config.dataset.savedLabel || "Saved");
      }
      return;
    }
    if (t.matches && t.matches(TEXT + ", [contenteditable]")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") { e.preventDefault(); shut(); }
    else if (e.key === "j" || e.key === "J" || e.key === "ArrowRight" || e.key === "ArrowDown") {
      if (t.matches && t.matches("input[type=checkbox]") && e.key.startsWith("Arrow")) return;
      e.preventDefault(); move(1);
    } else if (e.key === "k" || e.key === "K" || e.key === "ArrowLeft" || e.key === "ArrowUp") {
      if (t.matches && t.matches("input[type=checkbox]") && e.key.startsWith("Arrow")) return;
      e.preventDefault(); move(-1);
    }
  });
})();
