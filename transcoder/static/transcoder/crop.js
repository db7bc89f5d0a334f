// The cover crop rule of transcoder/engine.py (crop_box) and transcoder/focal.py,
// in the browser, and the dashed crop boxes drawn over the asset page's preview.
// tests/test_browser_crop.py checks the boxes against renditions really built.
(function () {
  "use strict";
  function gettext(s) { return window.gettext ? window.gettext(s) : s; }

  // Place a segment of `size` around `centre` inside 0..extent, keeping the
  // focal area's span [lo, hi] (pixels) inside it where it fits.
  function place(centre, size, extent, span) {
    let start = centre - size / 2;
    if (span && span[1] - span[0] <= size) {
      start = Math.min(Math.max(start, span[1] - size), span[0]);
    }
    return Math.min(Math.max(start, 0), extent - size);
  }

  // Return [left, top, right, bottom] in pixels of a width x height image.
  function cropBox(outWidth, outHeight, width, height, focal, area) {
    const cw = Math.min(width, height * outWidth / outHeight);
    const ch = Math.min(height, width * outHeight / outWidth);
    const f = focal || [0.5, 0.5];
    const left = place(f[0] * width, cw, width, area ? [area[0] * width, area[2] * width] : null);
    const top = place(f[1] * height, ch, height, area ? [area[1] * height, area[3] * height] : null);
    return [left, top, left + cw, top + ch];
  }

  window.mediahubCrop = { cropBox: cropBox };

  const picker = document.querySelector("[data-focal-picker]");
  const layer = picker && picker.querySelector("[data-crops]");
  const data = document.getElementById("mh-crops");
  if (!picker || !layer || !data) return;
  const crops = JSON.parse(data.textContent);
  const width = parseInt(picker.dataset.width, 10);
  const height = parseInt(picker.dataset.height, 10);

  // Each box carries a number; the legend under the image names it.
  const legend = document.createElement("ol");
  legend.className = "mh-crop-legend";
  if (crops.length) {
    legend.setAttribute("aria-label", gettext("Cover crops drawn on the image"));
    picker.insertAdjacentElement("afterend", legend);
  }
  const boxes = crops.map(function (crop, i) {
    const box = document.createElement("span");
    box.className = "mh-crop mh-crop--" + (i % 4);
    box.dataset.preset = crop.slug;
    const label = document.createElement("span");
    label.className = "mh-crop__label";
    label.textContent = String(i + 1);
    box.appendChild(label);
    layer.appendChild(box);
    const item = document.createElement("li");
    item.className = "mh-crop-legend__item mh-crop--" + (i % 4);
    // The label says the size once, even when the preset's name carries it.
    item.textContent = crop.label;
    legend.appendChild(item);
    return { crop: crop, el: box };
  });

  // state: {x, y, w, h} fractions (x, y null without a focal point)
  function draw(state) {
    const focal = state && state.x !== null ? [state.x, state.y] : null;
    let area = null;
    if (focal && state.w && state.h) {
      area = [Math.max(0, state.x - state.w / 2), Math.max(0, state.y - state.h / 2),
              Math.min(1, state.x + state.w / 2), Math.min(1, state.y + state.h / 2)];
    }
    boxes.forEach(function (b) {
      const r = cropBox(b.crop.w, b.crop.h, width, height, focal, area);
      b.el.style.left = (r[0] / width * 100) + "%";
      b.el.style.top = (r[1] / height * 100) + "%";
      b.el.style.width = ((r[2] - r[0]) / width * 100) + "%";
      b.el.style.height = ((r[3] - r[1]) / height * 100) + "%";
      b.el.dataset.box = r.map(function (v) { return v.toFixed(3); }).join(",");
    });
  }

  document.addEventListener("mh:focal-change", function (e) { draw(e.detail); });
  draw(null);
})();
