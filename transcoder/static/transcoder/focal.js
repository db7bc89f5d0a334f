// Click the preview to set the focal point that cover crops keep in view, or drag
// a rectangle to mark a focal area (its centre is the point). From the keyboard:
// arrows move the point, + and - grow or shrink the area. Values are fractions.
// Without an editor's area the automatic suggestion (data-suggest-*) is shown,
// dotted: crops use it until the editor accepts, moves or clears it, which sets
// the hidden "decided" input (services.assets.focal_suggestions).
(function () {
  "use strict";
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }
  function fmt(s, o) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); }); }
  const picker = document.querySelector("[data-focal-picker]");
  if (!picker) return;
  const field = function (k) { return document.querySelector("input[data-focal=" + k + "]"); };
  const x = field("x"), y = field("y"), w = field("w"), h = field("h");
  const dot = picker.querySelector(".mh-focal__dot");
  const areaEl = picker.querySelector(".mh-focal__area");
  const img = picker.querySelector("img");
  const value = document.querySelector("[data-focal-value]");
  const clear = document.querySelector("[data-focal-clear]");
  const accept = document.querySelector("[data-focal-accept]");
  const decided = field("decided");
  // View-only users get no inputs: show the point, offer no controls.
  const editable = !!(x && y);

  function num(input) { return input && input.value !== "" ? parseFloat(input.value) : null; }
  function suggestion() {
    const d = picker.dataset;
    if (!d.suggestX) return null;
    return { x: parseFloat(d.suggestX), y: parseFloat(d.suggestY),
             w: parseFloat(d.suggestW), h: parseFloat(d.suggestH), suggested: true };
  }
  function isDecided() {
    return !!decided && ["1", "true", "True", "on"].indexOf(decided.value) >= 0;
  }
  function decide() { if (decided) decided.value = "1"; }
  function state() {
    const s = { x: num(x), y: num(y), w: num(w), h: num(h) };
    if (s.x === null && !isDecided() && suggestion()) return suggestion();
    return s;
  }
  function initial() {
    // Read-only pages carry the saved point in the picker's data.
    const d = picker.dataset;
    if (!d.focalX && suggestion()) return suggestion();
    return { x: d.focalX ? parseFloat(d.focalX) : null, y: d.focalY ? parseFloat(d.focalY) : null,
             w: d.focalW ? parseFloat(d.focalW) : null, h: d.focalH ? parseFloat(d.focalH) : null };
  }
  function pct(v) { return Math.round(v * 100) + "%"; }

  function show() {
    const s = editable ? state() : initial();
    const set = s.x !== null && s.y !== null;
    dot.hidden = !set;
    if (clear) clear.disabled = !set;
    const hasArea = set && s.w && s.h;
    areaEl.hidden = !hasArea;
    areaEl.classList.toggle("mh-focal__area--suggested", !!s.suggested);
    dot.classList.toggle("mh-focal__dot--suggested", !!s.suggested);
    picker.dataset.focalSource = !set ? "" : s.suggested ? "suggested" : "editor";
    if (accept) accept.hidden = !(editable && s.suggested);
    if (set) {
      dot.style.left = (s.x * 100) + "%";
      dot.style.top = (s.y * 100) + "%";
    }
    if (hasArea) {
      areaEl.style.left = (Math.max(0, s.x - s.w / 2) * 100) + "%";
      areaEl.style.top = (Math.max(0, s.y - s.h / 2) * 100) + "%";
      areaEl.style.width = (Math.min(s.w, 1) * 100) + "%";
      areaEl.style.height = (Math.min(s.h, 1) * 100) + "%";
    }
    if (value) {
      const at = { x: pct(s.x), y: pct(s.y), w: pct(s.w), h: pct(s.h) };
      value.textContent = !set ? gettext("No focal point: cover crops keep the centre.")
        : s.suggested
          ? fmt(gettext("Suggested focal area %(w)s × %(h)s around %(x)s across, %(y)s down: crops use it until you accept, move or clear it."), at)
        : hasArea
          ? fmt(gettext("Focal area %(w)s × %(h)s around %(x)s across, %(y)s down."), at)
          : fmt(gettext("Focal point: %(x)s across, %(y)s down."), at);
    }
    document.dispatchEvent(new CustomEvent("mh:focal-change", { detail: set ? s : null }));
  }

  function clamp(v) { return Math.min(1, Math.max(0, v)); }
  function put(fx, fy, fw, fh) {
    decide();
    x.value = clamp(fx).toFixed(4);
    y.value = clamp(fy).toFixed(4);
    if (w && h) {
      w.value = fw ? clamp(fw).toFixed(4) : "";
      h.value = fh ? clamp(fh).toFixed(4) : "";
    }
    show();
  }

  if (!editable) { show(); return; }
  document.querySelectorAll("[data-focal-controls]").forEach(function (el) { el.hidden = false; });
  picker.tabIndex = 0;
  picker.setAttribute("aria-describedby", "mh-focal-help");

  function at(event) {
    const box = img.getBoundingClientRect();
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }
  let start = null;
  picker.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    start = at(event);
    picker.setPointerCapture(event.pointerId);
  });
  picker.addEventListener("pointermove", function (event) {
    if (!start) return;
    const p = at(event);
    const dw = Math.abs(p[0] - start[0]), dh = Math.abs(p[1] - start[1]);
    if (dw > 0.02 || dh > 0.02) {
      put((p[0] + start[0]) / 2, (p[1] + start[1]) / 2, Math.max(dw, 0.01), Math.max(dh, 0.01));
    }
  });
  picker.addEventListener("pointerup", function (event) {
    if (!start) return;
    const p = at(event);
    const dw = Math.abs(p[0] - start[0]), dh = Math.abs(p[1] - start[1]);
    if (dw <= 0.02 && dh <= 0.02) put(p[0], p[1], null, null);
    start = null;
  });

  const STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  picker.addEventListener("keydown", function (event) {
    const s = state();
    const fx = s.x !== null ? s.x : 0.5, fy = s.y !== null ? s.y : 0.5;
    const step = STEPS[event.key];
    if (step) {
      event.preventDefault();
      const size = event.shiftKey ? 0.1 : 0.01;
      put(fx + step[0] * size, fy + step[1] * size, s.w, s.h);
    } else if (event.key === "+" || event.key === "=" || event.key === "-" || event.key === "_") {
      event.preventDefault();
      const grow = event.key === "+" || event.key === "=" ? 0.05 : -0.05;
      const nw = (s.w || 0) + grow, nh = (s.h || 0) + grow;
      put(fx, fy, nw > 0.02 ? nw : null, nh > 0.02 ? nh : null);
    }
  });

  if (clear) {
    clear.addEventListener("click", function () {
      [x, y, w, h].forEach(function (i) { if (i) i.value = ""; });
      decide();
      show();
    });
  }
  if (accept) {
    accept.addEventListener("click", function () {
      const s = suggestion();
      if (s) put(s.x, s.y, s.w, s.h);
    });
  }
  show();
})();
