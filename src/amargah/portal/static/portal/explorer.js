// Draw the selection's chart with vega-embed, on load and after each htmx update.
(function () {
  "use strict";
  function draw() {
    var spec = document.getElementById("chart-spec");
    var target = document.getElementById("chart");
    if (!spec || !target || typeof window.vegaEmbed !== "function") {
      return;
    }
    window
      .vegaEmbed(target, JSON.parse(spec.textContent), {
        mode: "vega-lite",
        actions: false, // the default menu links to an outside editor
        renderer: "svg",
      })
      .then(function () {
        target.setAttribute("data-rendered", "true");
      })
      .catch(function (error) {
        target.textContent = String(error);
      });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSettle", draw);
})();
