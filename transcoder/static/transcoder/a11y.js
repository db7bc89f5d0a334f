// Repairs to Django's own admin widgets that axe reports as serious.
(function () {
  "use strict";
  // filter_horizontal (SelectFilter2.js, built on "load") names its search
  // icon with aria-label on a plain span, which ARIA does not allow there
  // (axe: aria-prohibited-attr). As an image the same name is allowed. This
  // script is deferred, so its "load" listener runs after the widget's.
  window.addEventListener("load", function () {
    document.querySelectorAll(".search-label-icon[aria-label]:not([role])")
      .forEach(function (icon) { icon.setAttribute("role", "img"); });
  });
})();
