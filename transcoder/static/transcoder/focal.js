// Click the preview (or use the arrow keys on it) to set the focal point that
// cover crops keep in view. The point is stored as fractions of width and height.
(function () {
  "use strict";
  const picker = document.querySelector("[data-focal-picker]");
  const x = document.querySelector("input[data-focal=x]");
  const y = document.querySelector("input[data-focal=y]");
  if (!picker || !x || !y) return;
  const dot = picker.querySelector(".mh-focal__dot");
  const img = picker.querySelector("img");
  const value = document.querySelector("[data-focal-value]");
  const clear = document.querySelector("[data-focal-clear]");

  function has() { return x.value !== "" && y.value !== ""; }

  function show() {
    const set = has();
    dot.hidden = !set;
    if (clear) clear.disabled = !set;
    if (!set) {
      if (value) value.textContent = "No focal point: cover crops keep the centre.";
      return;
    }
    const fx = parseFloat(x.value), fy = parseFloat(y.value);
    dot.style.left = (fx * 100) + "%";
    dot.style.top = (fy * 100) + "%";
    if (value) {
      value.textContent = "Focal point: " + Math.round(fx * 100) + "% across, " +
        Math.round(fy * 100) + "% down.";
    }
  }

  function put(fx, fy) {
    x.value = Math.min(1, Math.max(0, fx)).toFixed(4);
    y.value = Math.min(1, Math.max(0, fy)).toFixed(4);
    show();
  }

  img.addEventListener("click", function (event) {
    const box = img.getBoundingClientRect();
    put((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  });

  const STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  picker.addEventListener("keydown", function (event) {
    const step = STEPS[event.key];
    if (!step) return;
    event.preventDefault();
    const size = event.shiftKey ? 0.1 : 0.01;
    const fx = has() ? parseFloat(x.value) : 0.5;
    const fy = has() ? parseFloat(y.value) : 0.5;
    put(fx + step[0] * size, fy + step[1] * size);
  });

  if (clear) clear.addEventListener("click", function () { x.value = ""; y.value = ""; show(); });
  show();
})();
