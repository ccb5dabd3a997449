// The province dashboard: a link to a kabupaten (its row in the table, its outline on the map) opens
// that kabupaten's panel of figures on this page and brings it into view.
(function () {
  "use strict";

  function openPanel() {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const panel = id ? document.getElementById(id) : null;
    if (panel && panel.classList.contains("kab-panel")) {
      panel.open = true;
      panel.scrollIntoView({ block: "start" });
      const summary = panel.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
  }

  window.addEventListener("hashchange", openPanel);
  openPanel();
})();
