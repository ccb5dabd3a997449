// Dashboards: the prevalence trend (Chart.js) and the desa map (inline SVG, our own projection: no tiles,
// no outside network). Figures come from the page's json_script block "dashboard-data"; the map's
// polygons from their own versioned URL, which the browser keeps, joined to the figures by desa code.
(function () {
  "use strict";

  const source = document.getElementById("dashboard-data");
  if (!source) {
    return;
  }
  const data = JSON.parse(source.textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = {
    routine: "#1565c0",
    band: "rgba(21, 101, 192, 0.15)",
    district: "#2e7d32",
    national: "#6a1b9a",
    surveys: "#ef6c00",
  };

  // Month ticks named by the server in the page's language ("Jan 2025", "Apr", ...): no month name is
  // written here. Keyed by the axis value, year + (month - 1) / 12, to 4 decimals as sent.
  function tickNamer(ticks) {
    const names = new Map((ticks || []).map((t) => [t.x.toFixed(4), t.label]));
    return (value) => names.get(Number(value).toFixed(4)) || "";
  }

  // Numbers the browser itself draws (the y axis) in the page's language: 2,5 in Indonesian.
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "id", { maximumFractionDigits: 2 });

  function drawTrend(canvas, trend) {
    if (!window.Chart || !trend) {
      return;
    }
    const labels = trend.labels;
    // Months under the district's coverage threshold stay off the line and the band: a month still
    // being weighed would draw a spike from a handful of children.
    const measured = trend.months.filter((m) => m.pct !== null);
    const months = measured.filter((m) => m.complete !== false);
    const incomplete = measured.filter((m) => m.complete === false);
    const point = (key) => (m) => ({ x: m.x, y: m[key], label: m.label, text: key === "pct" ? m.text : null });
    const datasets = [
      {
        label: labels.band,
        data: months.map(point("high")),
        borderWidth: 0,
        pointRadius: 0,
        backgroundColor: COLOURS.band,
        fill: "+1",
        showLine: true,
      },
      {
        label: labels.band,
        data: months.map(point("low")),
        borderWidth: 0,
        pointRadius: 0,
        backgroundColor: COLOURS.band,
        fill: false,
        showLine: true,
        hideInLegend: true,
      },
      {
        label: labels.routine,
        data: months.map(point("pct")),
        borderColor: COLOURS.routine,
        backgroundColor: COLOURS.routine,
        borderWidth: 2,
        pointRadius: 2,
        showLine: true,
      },
      {
        label: labels.incomplete,
        data: incomplete.map(point("pct")),
        borderColor: COLOURS.routine,
        backgroundColor: "#fff",
        borderWidth: 2,
        pointRadius: 4,
        pointStyle: "rectRot",
        showLine: false,
        hideInLegend: incomplete.length === 0,
      },
      {
        label: labels.district,
        data: trend.district,
        borderColor: COLOURS.district,
        backgroundColor: COLOURS.district,
        borderDash: [6, 4],
        pointRadius: 4,
        showLine: true,
      },
      {
        label: labels.national,
        data: trend.national,
        borderColor: COLOURS.national,
        backgroundColor: COLOURS.national,
        borderDash: [2, 3],
        pointRadius: 4,
        showLine: true,
      },
      {
        label: labels.surveys,
        data: trend.surveys,
        borderColor: COLOURS.surveys,
        backgroundColor: COLOURS.surveys,
        pointStyle: "triangle",
        pointRadius: 6,
        showLine: false,
      },
    ];
    return new window.Chart(canvas, {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: { xAxisKey: "x", yAxisKey: "y" },
        plugins: {
          legend: {
            position: "bottom",
            labels: { boxWidth: 12, filter: (item, chart) => !chart.datasets[item.datasetIndex].hideInLegend },
          },
          tooltip: {
            callbacks: {
              label: (context) =>
                context.dataset.label +
                " " +
                context.raw.label +
                ": " +
                (context.raw.text || numbers.format(context.raw.y)) +
                "%",
            },
          },
        },
        scales: {
          x: { type: "linear", ticks: { stepSize: 1 / 12, autoSkip: false, callback: tickNamer(trend.ticks) } },
          y: {
            type: "linear",
            beginAtZero: true,
            title: { display: true, text: labels.axis },
            ticks: { callback: (value) => numbers.format(value) },
          },
        },
      },
    });
  }

  function rings(geometry) {
    return geometry.type === "Polygon" ? geometry.coordinates : [].concat.apply([], geometry.coordinates);
  }

  function drawMap(container, map, geometry) {
    const features = geometry.features || [];
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    features.forEach((feature) => {
      rings(feature.geometry).forEach((ring) => {
        ring.forEach((p) => {
          minX = Math.min(minX, p[0]);
          maxX = Math.max(maxX, p[0]);
          minY = Math.min(minY, p[1]);
          maxY = Math.max(maxY, p[1]);
        });
      });
    });
    if (!features.length || minX === Infinity) {
      return;
    }
    // Equirectangular projection, longitudes shrunk by cos(latitude) at the map's centre: true enough
    // in shape for one kabupaten (a few tenths of a degree across).
    const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
    const width = 1000;
    const spanX = Math.max((maxX - minX) * k, 1e-9);
    const spanY = Math.max(maxY - minY, 1e-9);
    const scale = width / spanX;
    const height = Math.max(1, Math.round(spanY * scale));
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "desa-map-svg");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const project = (p) => ((p[0] - minX) * k * scale).toFixed(1) + "," + ((maxY - p[1]) * scale).toFixed(1);
    features.forEach((feature) => {
      const code = feature.properties.code;
      const unit = map.units[code] || { css: "prev-none", title: feature.properties.name, href: "" };
      const d = rings(feature.geometry)
        .map((ring) => "M" + ring.map(project).join("L") + "Z")
        .join("");
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", d);
      path.setAttribute("class", "desa-shape " + unit.css);
      path.setAttribute("data-desa", code);
      const title = document.createElementNS(SVG, "title");
      title.textContent = unit.title;
      path.appendChild(title);
      if (unit.href) {
        // The link carries the desa's name and figure itself: a link inside the drawing, to its page.
        const link = document.createElementNS(SVG, "a");
        link.setAttribute("href", unit.href);
        link.setAttribute("aria-label", unit.title);
        link.appendChild(path);
        svg.appendChild(link);
      } else {
        svg.appendChild(path);
      }
    });
    container.appendChild(svg);
  }

  const canvas = document.getElementById("trend-chart");
  if (canvas) {
    drawTrend(canvas, data.trend);
  }
  // The kabupaten's desa map, or the province's map of kabupaten outlines: drawn the same way.
  const mapContainer = document.getElementById("desa-map") || document.getElementById("kabupaten-map");
  if (mapContainer && data.map && data.map.geometry) {
    fetch(data.map.geometry, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.statusText))))
      .then((geometry) => drawMap(mapContainer, data.map, geometry))
      .catch(() => {
        const failed = document.querySelector("[data-map-failed]");
        if (failed) {
          failed.hidden = false;
        }
      });
  }
})();
