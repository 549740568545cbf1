// Draws the dashboard's charts with Chart.js (served from /static/vendor) from the JSON the
// page carries in <script id="dashboard-charts">. Each chart's table stays under it, so
// without JavaScript, or if anything fails, every figure can still be read.
(function () {
  "use strict";

  var COLOURS = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2",
    "#db2777", "#65a30d", "#475569", "#ea580c"];

  function config(chart) {
    var kind = chart.type;
    var type = kind === "stacked" || kind === "horizontal" ? "bar" : kind;
    var many = kind === "doughnut";
    var datasets = chart.datasets.map(function (set, index) {
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: set.label,
        data: set.data,
        spanGaps: false,
        backgroundColor: many ? COLOURS : colour,
        borderColor: many ? "#fff" : colour,
        // The backlog is a level, the other series are flows: draw it as a line.
        type: kind === "line" && index < 2 ? "bar" : undefined
      };
    });
    var options = {
      responsive: true,
      aspectRatio: 2,
      animation: false,
      plugins: { legend: { display: datasets.length > 1 || many } }
    };
    if (!many) {
      options.scales = { x: { stacked: kind === "stacked" }, y: { stacked: kind === "stacked", beginAtZero: true } };
    }
    if (kind === "horizontal") {
      options.indexAxis = "y";
      options.scales = { x: { beginAtZero: true } };
    }
    return { type: type, data: { labels: chart.labels, datasets: datasets }, options: options };
  }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var charts = JSON.parse(source.textContent || "[]");
    charts.forEach(function (chart) {
      var canvas = document.getElementById(chart.id);
      if (!canvas) {
        return;
      }
      try {
        new window.Chart(canvas, config(chart));
        canvas.dataset.drawn = "true";
      } catch (error) {
        canvas.dataset.drawn = "false";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
