// Copy buttons for the embed snippets: the clipboard API where the page may use
// it, else select the text and let the browser copy it.
(function () {
  "use strict";
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }
  document.addEventListener("click", async function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    let ok = false;
    try {
      await navigator.clipboard.writeText(field.value);
      ok = true;
    } catch (err) {
      field.focus();
      field.select();
      ok = document.execCommand && document.execCommand("copy");
    }
    button.textContent = ok ? gettext("Copied") : gettext("Press Ctrl+C to copy");
    setTimeout(function () { button.textContent = label; }, 2000);
  });
})();
