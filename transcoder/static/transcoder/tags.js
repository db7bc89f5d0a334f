// Tag chips without a build step. Each input[data-tags-input] becomes a row of
// chips and an entry box: Enter or a comma ends a tag, spaces belong to it
// ("still life" is one tag), Backspace in an empty box takes the last chip
// back. The original input stays in the form, hidden, holding the tags as the
// server reads them without JavaScript (comma-separated, services.tags_split).
// Suggestions come from the admin's permission-checked tag view, as a datalist.
(function () {
  "use strict";
  // Django's JavaScript catalog (admin:jsi18n, which admin/base_site.html loads
  // first); without it, English. Looked up at each call, not at load.
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }
  function fmt(s, o) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); }); }

  function tagsUrl(input) {
    const form = input.closest("[data-tags-url]");
    if (form) return form.dataset.tagsUrl;
    return window.location.pathname.replace(/\/asset\/.*$/, "/asset/tags/");
  }

  // The same rule as services.tags_split: commas separate, "quotes" protect.
  function split(text) {
    const names = [];
    let current = "", quoted = false;
    for (const ch of text) {
      if (ch === '"') quoted = !quoted;
      else if (ch === "," && !quoted) { names.push(current); current = ""; }
      else current += ch;
    }
    names.push(current);
    return names.map(function (n) { return n.split(/\s+/).filter(Boolean).join(" "); })
      .filter(Boolean);
  }

  function join(names) {
    return names.map(function (n) { return n.includes(",") ? '"' + n + '"' : n; }).join(", ");
  }

  function setup(field) {
    const names = split(field.value);
    const box = document.createElement("div");
    box.className = "mh-chips";
    const list = document.createElement("ul");
    list.className = "mh-chips__list";
    const entry = document.createElement("input");
    entry.type = "text";
    entry.className = "mh-chips__entry";
    entry.autocomplete = "off";
    // The label and help text now point at the box the editor types in.
    entry.id = field.id;
    field.id = field.id + "_value";
    if (field.hasAttribute("aria-describedby")) {
      entry.setAttribute("aria-describedby", field.getAttribute("aria-describedby"));
    }
    entry.setAttribute("aria-description", gettext("Press Enter or type a comma after each tag."));
    const suggestions = document.createElement("datalist");
    suggestions.id = entry.id + "_suggestions";
    entry.setAttribute("list", suggestions.id);
    field.type = "hidden";
    field.after(box);
    box.append(list, entry, suggestions);

    function sync() { field.value = join(names); }

    function chip(name) {
      const li = document.createElement("li");
      li.className = "mh-chip";
      li.dataset.tag = name;
      const text = document.createElement("span");
      text.textContent = name;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "mh-chip__remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", fmt(gettext("Remove tag %(name)s"), { name: name }));
      remove.addEventListener("click", function () {
        const i = names.indexOf(name);
        if (i >= 0) names.splice(i, 1);
        li.remove();
        sync();
        entry.focus();
      });
      li.append(text, remove);
      list.appendChild(li);
    }

    function add(text) {
      split(text).forEach(function (name) {
        const known = names.some(function (n) { return n.toLowerCase() === name.toLowerCase(); });
        if (!known) { names.push(name); chip(name); }
      });
      sync();
    }

    names.forEach(chip);
    sync();

    entry.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === ",") {
        // Enter ends a tag; with nothing typed it submits the form as usual.
        if (event.key === "," || entry.value.trim()) {
          event.preventDefault();
          add(entry.value);
          entry.value = "";
        }
      } else if (event.key === "Backspace" && !entry.value && names.length) {
        event.preventDefault();
        const last = names.pop();
        list.lastElementChild.remove();
        sync();
        entry.value = last;
      }
    });
    // A pasted "a, b, c" (or a comma a keyboard does not send as a key).
    entry.addEventListener("input", function () {
      if (!entry.value.includes(",")) return;
      const parts = entry.value.split(",");
      const rest = parts.pop();
      add(parts.join(","));
      entry.value = rest.trimStart();
    });
    // Typed but not ended: it is still a tag when the form is sent.
    field.form.addEventListener("submit", function () {
      if (entry.value.trim()) { add(entry.value); entry.value = ""; }
    });

    let timer = null;
    let asked = null;
    entry.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const word = entry.value.trim();
        if (word === asked) return;
        asked = word;
        let data;
        try {
          const res = await fetch(tagsUrl(field) + "?q=" + encodeURIComponent(word), {
            credentials: "same-origin", headers: { Accept: "application/json" },
          });
          if (!res.ok) return;
          data = await res.json();
        } catch (err) {
          return;
        }
        suggestions.textContent = "";
        data.tags.forEach(function (name) {
          const option = document.createElement("option");
          option.value = name;
          suggestions.appendChild(option);
        });
      }, 150);
    });
  }

  function ready() {
    document.querySelectorAll("input[data-tags-input]").forEach(setup);
  }
  // Fields that arrive later (the grid's details panel, quick.js) ask for it.
  document.addEventListener("mh:fields-added", function (event) {
    event.target.querySelectorAll("input[data-tags-input]").forEach(setup);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
