// Tag autocomplete without a build step: a <datalist> fed by the admin's
// permission-checked /admin/transcoder/asset/tags/?q= view. Only the tag being
// typed (after the last comma) is completed; the others are kept.
(function () {
  "use strict";

  function tagsUrl(input) {
    const form = input.closest("[data-tags-url]");
    if (form) return form.dataset.tagsUrl;
    return window.location.pathname.replace(/\/asset\/.*$/, "/asset/tags/");
  }

  function current(value) {
    const i = value.lastIndexOf(",");
    return { head: i < 0 ? "" : value.slice(0, i + 1) + " ", word: value.slice(i + 1).trim() };
  }

  function setup(input) {
    const list = document.createElement("datalist");
    list.id = input.id + "_suggestions";
    input.after(list);
    input.setAttribute("list", list.id);
    let timer = null;
    let asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const part = current(input.value);
        if (part.word === asked) return;
        asked = part.word;
        let data;
        try {
          const res = await fetch(tagsUrl(input) + "?q=" + encodeURIComponent(part.word), {
            credentials: "same-origin", headers: { Accept: "application/json" },
          });
          if (!res.ok) return;
          data = await res.json();
        } catch (err) {
          return;
        }
        list.textContent = "";
        data.tags.forEach(function (name) {
          const option = document.createElement("option");
          const quoted = /[ ,]/.test(name) ? '"' + name + '"' : name;
          option.value = part.head + quoted;
          list.appendChild(option);
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
