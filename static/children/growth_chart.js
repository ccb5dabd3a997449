// The child page's WHO growth charts: SD lines and the child's points from grafik.json, drawn by Chart.js.
(function () {
  "use strict";

  const section = document.querySelector("[data-chart-url]");
  if (!section || !window.Chart) {
    return;
  }
  // -3/+3 red, -2/+2 orange, the median green: the colours of the KMS / Buku KIA charts.
  const LINE_COLOURS = { "-3": "#c62828", "-2": "#ef6c00", "0": "#2e7d32", "2": "#ef6c00", "3": "#c62828" };
  const CHILD_COLOUR = "#1565c0";

  function toXY(points) {
    return points.map((point) => ({ x: point[0], y: point[1] }));
  }

  function draw(canvas, chart, childLabel) {
    const datasets = Object.keys(chart.lines)
      .sort((a, b) => Number(a) - Number(b))
      .map((z) => ({
        label: (Number(z) > 0 ? "+" : "") + z + " SD",
        data: toXY(chart.lines[z]),
        showLine: true,
        borderColor: LINE_COLOURS[z],
        backgroundColor: LINE_COLOURS[z],
        borderWidth: z === "0" ? 2 : 1.5,
        pointRadius: 0,
        pointHitRadius: 0,
      }));
    datasets.push({
      label: childLabel,
      data: toXY(chart.child),
      showLine: true,
      borderColor: CHILD_COLOUR,
      backgroundColor: CHILD_COLOUR,
      borderWidth: 2,
      pointRadius: 4,
    });
    return new window.Chart(canvas, {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: {
          x: { type: "linear", title: { display: true, text: canvas.dataset.xLabel } },
          y: { type: "linear", title: { display: true, text: canvas.dataset.yLabel } },
        },
      },
    });
  }

  fetch(section.dataset.chartUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((data) => {
      section.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
        const chart = data.charts[canvas.dataset.chart];
        if (chart) {
          draw(canvas, chart, section.dataset.childLabel);
        }
      });
      section.dataset.chartsReady = "true";
    })
    .catch(() => {
      section.dataset.chartsReady = "error";
    });
})();
