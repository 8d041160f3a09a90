/* Hand-written SVG charts for the supervision dashboard (no library, works offline). */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const pct = (v) => (v * 100).toFixed(0) + "%";

  /* lines: [{name, colour, values:[0..1 or null], dash}] over labels; targets: [{value, colour, label}] */
  function lineChart(host, labels, lines, targets) {
    host.textContent = "";
    const W = 760, H = 280, L = 44, R = 16, T = 14, B = 34;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "weekly trend" });
    const x = (i) => L + (labels.length <= 1 ? 0 : (i * (W - L - R)) / (labels.length - 1));
    const y = (v) => T + (1 - v) * (H - T - B);
    for (let g = 0; g <= 4; g++) {
      const v = g / 4;
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: g ? "grid" : "axis" }));
      svg.appendChild(el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, pct(v)));
    }
    const step = Math.max(1, Math.ceil(labels.length / 8));
    labels.forEach((lab, i) => {
      if (i % step === 0 || i === labels.length - 1) {
        svg.appendChild(el("text", { x: x(i), y: H - 12, "text-anchor": "middle" }, lab.slice(5)));
      }
    });
    for (const t of targets || []) {
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(t.value), y2: y(t.value), stroke: t.colour,
        "stroke-dasharray": "5 4", "stroke-width": 1.2, opacity: 0.8 }));
      svg.appendChild(el("text", { x: W - R - 2, y: y(t.value) - 4, "text-anchor": "end", fill: t.colour }, t.label));
    }
    for (const line of lines) {
      let d = "";
      line.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        d += (d ? " L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
      });
      if (d) svg.appendChild(el("path", { d, fill: "none", stroke: line.colour, "stroke-width": 2.2,
        "stroke-linejoin": "round", "stroke-dasharray": line.dash || "none", "data-series": line.name }));
      if (labels.length <= 40) line.values.forEach((v, i) => {
        if (v !== null && v !== undefined) svg.appendChild(el("circle", { cx: x(i), cy: y(v), r: 2.4, fill: line.colour }));
      });
    }
    host.appendChild(svg);
    host.appendChild(legend(lines.map((l) => [l.name, l.colour])));
  }

  /* rows: [{label, parts:[{name, value, colour}]}] stacked horizontally to 100 % */
  function stackedBars(host, rows) {
    host.textContent = "";
    const W = 520, rowH = 34, L = 92, R = 46, T = 8;
    const H = T + rows.length * rowH + 10;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "shares by level" });
    rows.forEach((row, r) => {
      const yy = T + r * rowH;
      svg.appendChild(el("text", { x: L - 8, y: yy + 17, "text-anchor": "end" }, row.label));
      let acc = 0;
      for (const p of row.parts) {
        const w = p.value * (W - L - R);
        if (w > 0) svg.appendChild(el("rect", { x: L + acc, y: yy + 5, width: w, height: 18, fill: p.colour, rx: 2 }));
        acc += w;
      }
      svg.appendChild(el("text", { x: W - R + 6, y: yy + 17 }, row.note || ""));
    });
    host.appendChild(svg);
    const names = rows.length ? rows[0].parts.map((p) => [p.name, p.colour]) : [];
    host.appendChild(legend(names));
  }

  function legend(items) {
    const div = document.createElement("div");
    div.className = "legend";
    for (const [name, colour] of items) {
      const span = document.createElement("span");
      const sw = document.createElement("i");
      sw.style.background = colour;
      span.appendChild(sw);
      span.appendChild(document.createTextNode(name));
      div.appendChild(span);
    }
    return div;
  }

  /* weeks: [{week_start, blue, yellow, red}] as columns of counts (the weekly notices) */
  function noticeColumns(host, weeks) {
    host.textContent = "";
    if (!weeks.length) return;
    const W = 520, H = 120, L = 28, R = 6, T = 8, B = 22;
    const max = Math.max(1, ...weeks.map((w) => w.blue + w.yellow + w.red));
    const bw = (W - L - R) / weeks.length;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "weekly notices" });
    const y = (v) => T + (1 - v / max) * (H - T - B);
    svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), class: "axis" }));
    svg.appendChild(el("text", { x: L - 4, y: y(max) + 4, "text-anchor": "end" }, String(max)));
    weeks.forEach((w, i) => {
      let base = 0;
      for (const [key, colour] of [["red", "#d2342c"], ["yellow", "#e0a100"], ["blue", "#1f6fd1"]]) {
        if (!w[key]) continue;
        const h = y(base) - y(base + w[key]);
        svg.appendChild(el("rect", { x: L + i * bw + 1, y: y(base + w[key]), width: Math.max(1, bw - 2), height: h, fill: colour }));
        base += w[key];
      }
      if (i % Math.max(1, Math.ceil(weeks.length / 6)) === 0) {
        svg.appendChild(el("text", { x: L + i * bw + bw / 2, y: H - 6, "text-anchor": "middle" }, w.week_start.slice(5)));
      }
    });
    host.appendChild(svg);
    host.appendChild(legend([["red", "#d2342c"], ["yellow", "#e0a100"], ["blue", "#1f6fd1"]]));
  }

  window.EhcCharts = { lineChart, stackedBars, noticeColumns };
})();
