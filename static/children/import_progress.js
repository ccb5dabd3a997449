// Poll an import job's progress every second while it is queued, being checked or being applied;
// reload the page once it is done so the dry-run summary and the row issues appear.
(function () {
  const section = document.getElementById("import-progress");
  if (!section || section.dataset.active !== "1") return;
  const url = section.dataset.progressUrl;
  const bar = section.querySelector("[data-role=bar]");
  const rows = section.querySelector("[data-role=rows]");
  const active = new Set(["antre", "diperiksa", "diterapkan"]);
  // Counts grouped as the page's language writes them (16.972 in Indonesian), like the server does.
  const number = new Intl.NumberFormat(document.documentElement.lang || undefined);

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const progress = await response.json();
      bar.value = progress.percent;
      bar.textContent = `${progress.percent}%`;
      rows.textContent = `${number.format(progress.rows_done)} / ${number.format(progress.rows_total)}`;
      if (!active.has(progress.status)) {
        window.location.reload();
        return;
      }
    } catch (error) {
      // A dropped request (a flaky village connection) is retried on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
