// The "Edit the picture" panel (admin/images/edits.py): buttons to turn and mirror,
// a preview drawn on a canvas as the picture will look, and a crop rectangle
// dragged over it. The form's own fields hold the edit (turn, then mirror,
// then the crop in pixels of the turned and mirrored picture), so the page
// works without this script; the server checks and applies the same steps.
(function () {
  "use strict";
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }
  function fmt(s, o) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(o[k]); }); }
  const panel = document.querySelector("[data-edit-panel]");
  if (!panel) return;
  const MAX_SIDE = 480;
  const field = function (name) { return document.querySelector("[data-edit=" + name + "]"); };
  const rotate = field("rotate"), flip = field("flip");
  const crop = ["crop_left", "crop_top", "crop_width", "crop_height"].map(field);
  const stage = panel.querySelector("[data-edit-stage]");
  const canvas = panel.querySelector("[data-edit-canvas]");
  const box = panel.querySelector("[data-edit-crop]");
  const result = panel.querySelector("[data-edit-result]");
  const width = parseInt(panel.dataset.width, 10), height = parseInt(panel.dataset.height, 10);
  panel.querySelectorAll("[data-edit-tools]").forEach(function (el) { el.hidden = false; });
  let image = null;
  let scale = 1;

  function turns() { return ((parseInt(rotate.value, 10) || 0) % 4 + 4) % 4; }
  function setTurns(q) {
    q = ((q % 4) + 4) % 4;
    rotate.value = String(q === 3 ? -1 : q);
  }
  // The size of the picture after the turn (a mirror keeps it).
  function turned() { return turns() % 2 ? [height, width] : [width, height]; }
  function cropValues() {
    const v = crop.map(function (input) { return input.value === "" ? null : parseInt(input.value, 10); });
    return v.indexOf(null) >= 0 || v.some(isNaN) ? null : v;
  }
  function clearCrop() { crop.forEach(function (input) { input.value = ""; }); }

  function draw() {
    const size = turned();
    scale = Math.min(1, MAX_SIDE / size[0], MAX_SIDE / size[1]);
    if (image && canvas) {
      canvas.width = Math.max(1, Math.round(size[0] * scale));
      canvas.height = Math.max(1, Math.round(size[1] * scale));
      const ctx = canvas.getContext("2d");
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      // Drawn last-to-first: turn the picture, then mirror the turned one.
      ctx.translate(canvas.width / 2, canvas.height / 2);
      if (flip.value === "horizontal") ctx.scale(-1, 1);
      if (flip.value === "vertical") ctx.scale(1, -1);
      ctx.rotate(turns() * Math.PI / 2);
      ctx.drawImage(image, -width * scale / 2, -height * scale / 2, width * scale, height * scale);
      stage.hidden = false;
    }
    const c = cropValues();
    if (box) {
      box.hidden = !c;
      if (c) {
        box.style.left = c[0] * scale + "px";
        box.style.top = c[1] * scale + "px";
        box.style.width = c[2] * scale + "px";
        box.style.height = c[3] * scale + "px";
      }
    }
    const out = c ? [c[2], c[3]] : size;
    result.textContent = fmt(gettext("The picture will be %(width)s × %(height)s pixels."),
                             { width: out[0], height: out[1] });
  }

  // A turn after a mirror is the mirror after the opposite turn; a second
  // mirror across the other axis is a half turn.
  panel.querySelectorAll("[data-edit-turn]").forEach(function (button) {
    button.addEventListener("click", function () {
      const step = parseInt(button.dataset.editTurn, 10);
      setTurns(turns() + (flip.value ? -step : step));
      clearCrop();
      draw();
    });
  });
  panel.querySelectorAll("[data-edit-flip]").forEach(function (button) {
    button.addEventListener("click", function () {
      const axis = button.dataset.editFlip;
      if (!flip.value) flip.value = axis;
      else if (flip.value === axis) flip.value = "";
      else { flip.value = ""; setTurns(turns() + 2); }
      clearCrop();
      draw();
    });
  });
  const clear = panel.querySelector("[data-edit-clear-crop]");
  if (clear) clear.addEventListener("click", function () { clearCrop(); draw(); });
  [rotate, flip].forEach(function (el) { el.addEventListener("change", function () { clearCrop(); draw(); }); });
  crop.forEach(function (input) { input.addEventListener("input", draw); });

  // Drag over the preview to draw the crop, in pixels of the turned picture.
  if (canvas) {
    let start = null;
    function at(event) {
      const rect = canvas.getBoundingClientRect();
      const size = turned();
      const fx = (event.clientX - rect.left) / rect.width, fy = (event.clientY - rect.top) / rect.height;
      return [Math.min(size[0], Math.max(0, Math.round(fx * size[0]))),
              Math.min(size[1], Math.max(0, Math.round(fy * size[1])))];
    }
    function put(a, b) {
      const left = Math.min(a[0], b[0]), top = Math.min(a[1], b[1]);
      crop[0].value = left;
      crop[1].value = top;
      crop[2].value = Math.max(a[0], b[0]) - left;
      crop[3].value = Math.max(a[1], b[1]) - top;
      draw();
    }
    canvas.addEventListener("pointerdown", function (event) {
      start = at(event);
      canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) { if (start) put(start, at(event)); });
    canvas.addEventListener("pointerup", function (event) {
      if (!start) return;
      const end = at(event);
      if (Math.abs(end[0] - start[0]) < 2 && Math.abs(end[1] - start[1]) < 2) clearCrop();
      else put(start, end);
      start = null;
      draw();
    });
  }

  if (panel.dataset.src && canvas) {
    image = new Image();
    image.addEventListener("load", draw);
    image.src = panel.dataset.src;
  }
  draw();
})();
