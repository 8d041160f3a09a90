// Draws every chart described in #chart-data with the inlined Chart.js (no network).
// Axes start at zero, titles are shown, errors are red; no animation, so screenshots and print
// show the final picture.
(function () {
  "use strict";
  var spec = JSON.parse(document.getElementById("chart-data").textContent);
  var drawn = 0;
  spec.charts.forEach(function (c) {
    var canvas = document.getElementById(c.id);
    if (!canvas) { return; }
    var linearX = c.x === "linear";
    var datasets = c.datasets.map(function (d) {
      return {
        label: d.label, data: d.data, borderColor: d.color, backgroundColor: d.fill || d.color,
        borderWidth: c.type === "line" ? 2 : 1, pointRadius: c.type === "line" ? 0 : undefined,
        spanGaps: false, borderDash: d.dash || undefined
      };
    });
    new Chart(canvas, {
      type: c.type,
      data: linearX ? { datasets: datasets } : { labels: c.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          title: { display: true, text: c.title, font: { size: 14, weight: "bold" } },
          legend: { display: datasets.length > 1, position: "bottom" }
        },
        scales: {
          x: linearX
            ? { type: "linear", min: 0, title: { display: true, text: c.xTitle } }
            : { type: "category", title: { display: true, text: c.xTitle }, ticks: { autoSkip: true, maxRotation: 60 } },
          y: { type: "linear", beginAtZero: true, min: 0, title: { display: true, text: c.yTitle } }
        }
      }
    });
    drawn += 1;
  });
  document.body.dataset.charts = String(drawn);
})();
