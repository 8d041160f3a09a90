/* Supervision dashboard: loopback JSON from the node's gateway, rendered without libraries. */
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const COLOURS = { ecard: "#0b8a6b", legacy: "#c0562a", other: "#b8c2cc", cov: "#6a4fc2" };
  const LEVELS = { "3": "三级 tertiary", "2": "二级 secondary", "1": "基层 primary", "0": "村卫生室 village", "9": "other" };
  let meta = null;
  let lastReport = null;

  const pct = (v) => (v * 100).toFixed(1) + "%";
  const num = (v) => Number(v).toLocaleString("en-US");

  function query() {
    const area = $("#f-county").value || $("#f-city").value;
    const p = new URLSearchParams({ start: $("#f-start").value, end: $("#f-end").value, tz: $("#f-tz").value });
    if (area) p.set("area", area);
    return p;
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await res.json();
    if (!res.ok) throw new Error(body.message || body.code || res.statusText);
    return body;
  }

  function fillAreas() {
    const city = $("#f-city");
    for (const c of meta.cities) city.appendChild(new Option(`${c.name} ${c.code}`, c.code));
    city.addEventListener("change", () => { fillCounties(); load(); });
    $("#f-county").addEventListener("change", load);
  }

  function fillCounties() {
    const county = $("#f-county");
    county.length = 1;
    const c = meta.cities.find((x) => x.code === $("#f-city").value);
    if (c) for (const k of c.counties) county.appendChild(new Option(`${k.name} ${k.code}`, k.code));
  }

  function mark(marks, kpi) { return (marks || []).find((m) => m.kpi === kpi); }

  function targetText(m) {
    if (!m || !m.target) return "no target in force";
    const t = m.target;
    return `target ${t.comparison} ${pct(t.threshold)} (by ${t.deadline}) · ${m.colour}` + (m.reason ? ` · ${m.reason}` : "");
  }

  function setCard(id, value, detail, m) {
    const card = $(id);
    card.querySelector(".value").textContent = value;
    card.querySelector(".detail").textContent = detail;
    card.querySelector(".target").textContent = m === undefined ? "" : targetText(m);
    card.classList.remove("c-blue", "c-yellow", "c-red");
    if (m && ["blue", "yellow", "red"].includes(m.colour)) card.classList.add("c-" + m.colour);
    card.dataset.rating = m ? m.colour : "";
  }

  function badge(colour) {
    const b = document.createElement("span");
    b.className = "badge " + colour;
    b.textContent = { blue: "蓝 blue", yellow: "黄 yellow", red: "红 red", unrated: "—" }[colour] || colour;
    return b;
  }

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (text instanceof Node) td.appendChild(text); else td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function shareCell(tr, share, kind, visits) {
    const td = cell(tr, visits ? pct(share) : "–", "num");
    if (visits) {
      const bar = document.createElement("div");
      bar.className = "bar " + kind;
      const i = document.createElement("i");
      i.style.width = Math.min(100, share * 100).toFixed(1) + "%";
      bar.appendChild(i);
      td.appendChild(bar);
    }
  }

  function renderHospitals() {
    const tbody = $("#hospitals tbody");
    tbody.textContent = "";
    const filter = $("#f-rating").value;
    for (const h of lastReport.hospitals) {
      if (filter && h.rating !== filter) continue;
      const tr = document.createElement("tr");
      tr.dataset.org = h.org_code;
      tr.dataset.rating = h.rating;
      cell(tr, h.org_name).title = h.org_code;
      cell(tr, LEVELS[h.level] || h.level);
      cell(tr, h.area_name || h.area_code);
      cell(tr, num(h.visits), "num");
      shareCell(tr, h.ecard_share, "ecard", h.visits);
      shareCell(tr, h.physical_share, "legacy", h.visits);
      const why = h.marks.map((m) => `${m.kpi}: ${m.colour}` + (m.reason ? ` (${m.reason})` : "")).join("; ");
      cell(tr, badge(h.rating)).title = why;
      tbody.appendChild(tr);
    }
  }

  function renderCounties(r) {
    const tbody = $("#counties tbody");
    tbody.textContent = "";
    for (const c of r.counties) {
      const tr = document.createElement("tr");
      tr.dataset.area = c.area_code;
      cell(tr, `${c.area_name} ${c.area_code}`);
      cell(tr, c.population ? num(c.population) : "–", "num");
      cell(tr, num(c.holders), "num");
      cell(tr, c.population ? pct(c.coverage) : "–", "num");
      cell(tr, c.visits ? pct(c.physical_share) : "–", "num");
      cell(tr, badge(c.rating));
      tbody.appendChild(tr);
    }
  }

  function renderEscalations(e) {
    $("#esc-note").textContent = `Weekly notices ${e.period.start_date} – ${e.period.end_date}: ` +
      `${e.weeks.length} weeks; listed: ${e.threshold_reds} or more red weeks.`;
    window.EhcCharts.noticeColumns($("#chart-notices"), e.weeks);
    const tbody = $("#escalations tbody");
    tbody.textContent = "";
    if (!e.escalations.length) {
      const tr = document.createElement("tr");
      cell(tr, "No entity has reached the interview threshold.").colSpan = 4;
      tbody.appendChild(tr);
    }
    for (const x of e.escalations) {
      const tr = document.createElement("tr");
      tr.dataset.code = x.code;
      cell(tr, x.entity === "hospital" ? "医院 hospital" : "县市区 county");
      cell(tr, x.name || x.code);
      cell(tr, String(x.reds), "num");
      cell(tr, x.red_weeks.join(" "), "mono");
      tbody.appendChild(tr);
    }
  }

  function renderCharts(r) {
    const labels = r.trend.map((p) => p.week_start);
    const targets = [];
    const me = mark(r.summary.marks, "ecard_share");
    const mp = mark(r.summary.marks, "physical_share");
    const mc = mark(r.summary.marks, "coverage");
    if (me && me.target) targets.push({ value: me.target.threshold, colour: COLOURS.ecard, label: "e-card target " + pct(me.target.threshold) });
    if (mp && mp.target) targets.push({ value: mp.target.threshold, colour: COLOURS.legacy, label: "legacy limit " + pct(mp.target.threshold) });
    if (mc && mc.target) targets.push({ value: mc.target.threshold, colour: COLOURS.cov, label: "coverage target " + pct(mc.target.threshold) });
    window.EhcCharts.lineChart($("#chart-trend"), labels, [
      { name: "E-card share of visits", colour: COLOURS.ecard, values: r.trend.map((p) => (p.visits ? p.ecard_share : null)) },
      { name: "Legacy card share", colour: COLOURS.legacy, values: r.trend.map((p) => (p.visits ? p.physical_share : null)) },
      { name: "Coverage (week end)", colour: COLOURS.cov, dash: "6 3", values: r.trend.map((p) => (r.summary.population ? p.coverage : null)) },
    ], targets);
    window.EhcCharts.stackedBars($("#chart-levels"), r.levels.filter((l) => l.visits).map((l) => ({
      label: (LEVELS[l.level] || l.level).split(" ")[0],
      note: num(l.visits),
      parts: [
        { name: "E-card", value: l.ecard_share, colour: COLOURS.ecard },
        { name: "Legacy card", value: l.physical_share, colour: COLOURS.legacy },
        { name: "Other media (ID, social security, …)", value: Math.max(0, 1 - l.ecard_share - l.physical_share), colour: COLOURS.other },
      ],
    })));
  }

  function render(r, e) {
    lastReport = r;
    const s = r.summary;
    setCard("#kpi-coverage", s.population ? pct(s.coverage) : "–",
      `${num(s.holders)} holders / ${num(s.population)} residents`, mark(s.marks, "coverage"));
    setCard("#kpi-ecard", s.tertiary_visits ? pct(s.tertiary_ecard_share) : "–",
      `${num(s.tertiary_ecard_visits)} / ${num(s.tertiary_visits)} tertiary visits · all levels ${pct(s.ecard_share)}`,
      mark(s.marks, "ecard_share"));
    setCard("#kpi-physical", s.visits ? pct(s.physical_share) : "–",
      `${num(s.physical_visits)} / ${num(s.visits)} visits`, mark(s.marks, "physical_share"));
    setCard("#kpi-visits", num(s.visits), `${num(s.ecard_visits)} by e-card`, undefined);
    $("#kpi-visits").querySelector(".target").textContent = `overall rating: ${s.rating}`;
    renderCharts(r);
    renderHospitals();
    renderCounties(r);
    renderEscalations(e);
    const q = query().toString();
    for (const t of ["hospitals", "counties", "ratings", "escalations"]) $("#csv-" + t).href = `/dashboard/api/export.csv?${q}&table=${t}`;
    const where = r.area_name ? `${r.area_name} ${r.area_code}` : "all areas";
    $("#status").textContent = `${where} · ${r.period.start_date} – ${r.period.end_date} (${r.period.time_zone}) · ` +
      `${r.hospitals.length} organisations · data ${meta.data_from || "–"} – ${meta.data_to || "–"}`;
    $("#status").classList.remove("error");
    document.body.dataset.loaded = q;
  }

  async function load() {
    $("#status").textContent = "Loading…";
    document.body.dataset.loaded = "";
    try {
      const q = query();
      const [r, e] = await Promise.all([getJson("/dashboard/api/kpis?" + q), getJson("/dashboard/api/escalations?" + q)]);
      render(r, e);
    } catch (err) {
      $("#status").textContent = "Could not load: " + err.message;
      $("#status").classList.add("error");
    }
  }

  async function init() {
    meta = await getJson("/dashboard/api/meta");
    fillAreas();
    const params = new URLSearchParams(location.search);
    const end = params.get("end") || meta.data_to || new Date().toISOString().slice(0, 10);
    let start = params.get("start");
    if (!start) { const d = new Date(end + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() - 90); start = d.toISOString().slice(0, 10); }
    $("#f-start").value = start;
    $("#f-end").value = end;
    $("#f-tz").value = params.get("tz") || meta.time_zone;
    if (params.get("city")) { $("#f-city").value = params.get("city"); fillCounties(); }
    if (params.get("county")) $("#f-county").value = params.get("county");
    const where = `${meta.node_area || ""} ${meta.node_id}`.trim();
    $("#rule").textContent = `Profile: ${meta.profile_title || meta.profile || "none (seed defaults)"} · node ${where} · ` +
      "Rating rule: " + meta.rule;
    $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
    $("#f-rating").addEventListener("change", renderHospitals);
    for (const b of document.querySelectorAll("[data-preset]")) {
      b.addEventListener("click", () => { const [s, e] = b.dataset.preset.split(","); $("#f-start").value = s; $("#f-end").value = e; load(); });
    }
    await load();
  }

  document.addEventListener("DOMContentLoaded", () => init().catch((err) => {
    $("#status").textContent = "Could not load: " + err.message;
    $("#status").classList.add("error");
  }));
})();
