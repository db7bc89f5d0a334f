// Click the preview to set the focal point that cover crops keep in view.
(function () {
  "use strict";
  const picker = document.querySelector("[data-focal-picker]");
  const x = document.querySelector("input[data-focal=x]");
  const y = document.querySelector("input[data-focal=y]");
  if (!picker || !x || !y) return;
  const dot = picker.querySelector(".mh-focal__dot");
  const img = picker.querySelector("img");
  function show() {
    if (x.value === "" || y.value === "") { dot.hidden = true; return; }
    dot.hidden = false;
    dot.style.left = (parseFloat(x.value) * 100) + "%";
    dot.style.top = (parseFloat(y.value) * 100) + "%";
  }
  img.addEventListener("click", function (event) {
    const box = img.getBoundingClientRect();
    const fx = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    const fy = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    x.value = fx.toFixed(4);
    y.value = fy.toFixed(4);
    show();
  });
  const clear = document.querySelector("[data-focal-clear]");
  if (clear) clear.addEventListener("click", function () { x.value = ""; y.value = ""; show(); });
  show();
})();
