// The photo timeline's compare slider: the baseline laid over the latest photo, uncovered as far
// as the range says. Without this script the two photos still stand side by side.
(function () {
  "use strict";
  function wire(box) {
    var range = box.querySelector("[data-photo-compare-range]");
    var top = box.querySelector(".photo-compare-top");
    if (!range || !top) return;
    function show() {
      top.style.clipPath = "inset(0 " + (100 - Number(range.value)) + "% 0 0)";
    }
    range.addEventListener("input", show);
    show();
    box.hidden = false;
  }
  document.querySelectorAll("[data-photo-compare]").forEach(wire);
})();
