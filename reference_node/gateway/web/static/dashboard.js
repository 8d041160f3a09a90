/* Supervision dashboard: loopback JSON from the node's gateway, charts drawn by the vendored
   Chart.js (served by the node, no CDN). Chinese first; the 中/EN switch is kept in localStorage. */
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const LANG_KEY = "ehc.dashboard.lang";
  // the page's palette (supervision.css): rating colours are the words' colours everywhere
  const C = { ecard: "#0b8a6b", legacy: "#c0562a", other: "#b8c2cc", cov: "#6a4fc2",
    red: "#d2342c", yellow: "#e0a100", blue: "#1f6fd1", grid: "#eef1f5", ink: "#5f6b7a" };
  const T = {
    zh: {
      title: "电子健康卡推广应用监管看板", nav_dashboard: "监管看板", nav_bench: "扫码枪测试台",
      loading: "加载中…", f_city: "市", f_county: "县市区", all_areas: "全部地区", all_counties: "全部县市区",
      f_from: "开始日期", f_to: "结束日期", f_tz: "时区", apply: "查询", p_2019h2: "2019年下半年",
      p_2020h2: "2020年下半年", p_2021jun: "2021年6月", p_2021q3: "2021年第三季度", notice_pdf: "周通报 PDF",
      print: "打印", kpi_coverage: "发卡覆盖率", kpi_ecard: "三级医院电子健康卡就诊占比",
      kpi_physical: "实体就诊卡占比", kpi_visits: "门急诊人次", hospitals: "医疗机构评级", show: "显示",
      all_ratings: "全部评级", r_red: "红牌", r_yellow: "黄牌", r_blue: "蓝牌", r_unrated: "未评级",
      csv_ratings: "评级 CSV", th_hospital: "医疗机构", th_level: "等级", th_county: "县市区",
      th_visits: "门急诊人次", th_ecard: "电子健康卡占比", th_legacy: "实体就诊卡占比", th_rating: "评级",
      counties: "县市区评级", th_population: "人口", th_holders: "持卡人数", th_coverage: "覆盖率",
      escalations: "红牌两次约谈名单", th_entity: "类别", th_name: "名称", th_reds: "红牌次数",
      th_weeks: "红牌周（周一）", profile: "监管配置", profile_none: "种子默认（济宁）", city: "节点城市",
      node: "节点", chart_trend: "每周趋势（占比，%）", chart_levels: "按医院等级的就诊介质构成（%）",
      chart_notices: "每周红黄蓝评级（机构与县市区数）", s_ecard: "电子健康卡就诊占比",
      s_legacy: "实体就诊卡占比", s_cov: "发卡覆盖率（周末）", t_ecard: "电子健康卡目标", t_legacy: "实体卡上限",
      t_cov: "覆盖率目标", other_media: "其他介质（身份证、社保卡等）", ecard: "电子健康卡",
      legacy: "实体就诊卡", no_target: "无有效目标", target: "目标", by: "截止", holders_of: "持卡 {a} 人 / 人口 {b} 人",
      tertiary_of: "三级医院 {a} / {b} 人次 · 全部等级 {c}", visits_of: "{a} / {b} 人次",
      by_ecard: "其中电子健康卡 {a} 人次", refused: "拒绝医院自制就诊卡 {a} 次", overall: "总评级",
      hospital: "医疗机构", county: "县市区", none_listed: "暂无县市区或医疗机构达到约谈条件。",
      esc_note: "周通报 {a} 至 {b}：共 {n} 周；红牌达到 {k} 次列入约谈名单。",
      status: "{where} · {a} 至 {b}（{tz}）· {n} 家机构 · 数据 {c} 至 {d}", all: "全部地区",
      fail: "无法加载：", bad_date: "日期格式应为 YYYY-MM-DD", rule: "评级规则",
      fewer: "门急诊人次少于 {n}", no_pop: "无人口数", no_member: "该人群无登记人员",
      kpi_coverage_poverty: "贫困人口覆盖率", kpi_ecard_share: "电子健康卡就诊占比", kpi_physical_share: "实体就诊卡占比",
      lv3: "三级医院", lv2: "二级医院", lv1: "基层医疗机构", lv0: "村卫生室", lv9: "其他",
    },
    en: {
      title: "E-card roll-out supervision", nav_dashboard: "Dashboard", nav_bench: "Scanner bench",
      loading: "Loading…", f_city: "City", f_county: "County", all_areas: "All areas", all_counties: "All counties",
      f_from: "From", f_to: "To", f_tz: "Time zone", apply: "Apply", p_2019h2: "2019 H2", p_2020h2: "2020 H2",
      p_2021jun: "2021 Jun", p_2021q3: "2021 Q3", notice_pdf: "Weekly notice PDF", print: "Print",
      kpi_coverage: "Issuance coverage", kpi_ecard: "E-card share, tertiary hospitals",
      kpi_physical: "Legacy card share", kpi_visits: "Outpatient visits", hospitals: "Hospital ratings",
      show: "Show", all_ratings: "all ratings", r_red: "红 red", r_yellow: "黄 yellow", r_blue: "蓝 blue",
      r_unrated: "unrated", csv_ratings: "Ratings CSV", th_hospital: "Hospital", th_level: "Level",
      th_county: "County", th_visits: "Visits", th_ecard: "E-card", th_legacy: "Legacy card", th_rating: "Rating",
      counties: "County ratings", th_population: "Population", th_holders: "Holders", th_coverage: "Coverage",
      escalations: "Two reds → interview", th_entity: "Entity", th_name: "Name", th_reds: "Red weeks",
      th_weeks: "Weeks (Monday)", profile: "Profile", profile_none: "seed defaults (Jining)", city: "node city",
      node: "node", chart_trend: "Weekly trend (share, %)", chart_levels: "Media of visits by hospital level (%)",
      chart_notices: "Weekly ratings (hospitals and counties)", s_ecard: "E-card share of visits",
      s_legacy: "Legacy card share", s_cov: "Coverage (week end)", t_ecard: "e-card target", t_legacy: "legacy limit",
      t_cov: "coverage target", other_media: "Other media (ID, social security, …)", ecard: "E-card",
      legacy: "Legacy card", no_target: "no target in force", target: "target", by: "by",
      holders_of: "{a} holders / {b} residents", tertiary_of: "{a} / {b} tertiary visits · all levels {c}",
      visits_of: "{a} / {b} visits", by_ecard: "{a} by e-card", refused: "{a} hospital cards refused",
      overall: "overall rating", hospital: "hospital", county: "county",
      none_listed: "No entity has reached the interview threshold.",
      esc_note: "Weekly notices {a} – {b}: {n} weeks; listed: {k} or more red weeks.",
      status: "{where} · {a} – {b} ({tz}) · {n} organisations · data {c} – {d}", all: "all areas",
      fail: "Could not load: ", bad_date: "dates are YYYY-MM-DD", rule: "Rating rule",
      fewer: "fewer than {n} visits", no_pop: "no population figure", no_member: "no registered member of the group",
      kpi_coverage_poverty: "coverage of the poor", kpi_ecard_share: "e-card share", kpi_physical_share: "legacy share",
      lv3: "tertiary", lv2: "secondary", lv1: "primary", lv0: "village", lv9: "other",
    },
  };
  const RATING_KEY = { red: "r_red", yellow: "r_yellow", blue: "r_blue", unrated: "r_unrated" };
  let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
  let meta = null;
  let lastReport = null;
  let lastEsc = null;
  const charts = {};

  const t = (key, vars) => {
    let s = (T[lang][key] !== undefined ? T[lang][key] : T.zh[key]) || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
  const pct = (v) => (v * 100).toFixed(1) + "%";
  const paren = (x) => (lang === "zh" ? `（${x}）` : ` (${x})`);
  const colon = () => (lang === "zh" ? "：" : ": ");
  const num = (v) => Number(v).toLocaleString("en-US");
  const ISO = /^\d{4}-\d{2}-\d{2}$/;

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    $("#lang").textContent = lang === "zh" ? "EN" : "中文";
    $("#lang").setAttribute("aria-label", lang === "zh" ? "English" : "中文");
    document.body.dataset.lang = lang;
  }

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

  function reasonText(reason) {
    if (!reason) return "";
    const n = /^fewer than (\d+)/.exec(reason);
    if (n) return t("fewer", { n: n[1] });
    return { "no population figure": t("no_pop"), "no registered member of the group": t("no_member") }[reason] || reason;
  }

  function targetText(m) {
    if (!m || !m.target) return t("no_target");
    const tg = m.target;
    const cmp = tg.comparison === ">=" ? "≥" : "≤";
    const why = m.reason ? ` · ${reasonText(m.reason)}` : "";
    return `${t("target")} ${cmp} ${pct(tg.threshold)}${paren(t("by") + " " + tg.deadline)}${why}`;
  }

  function badge(colour) {
    const b = document.createElement("span");
    b.className = "badge " + colour;
    b.dataset.rating = colour;
    b.textContent = t(RATING_KEY[colour] || "r_unrated");
    return b;
  }

  function setCard(id, value, detail, m) {
    const card = $(id);
    card.querySelector(".value").textContent = value;
    card.querySelector(".detail").textContent = detail;
    const target = card.querySelector(".target");
    target.textContent = "";
    card.classList.remove("c-blue", "c-yellow", "c-red");
    if (m !== undefined) {
      if (m) target.appendChild(badge(m.colour));
      target.appendChild(document.createTextNode(" " + targetText(m)));
    }
    if (m && ["blue", "yellow", "red"].includes(m.colour)) card.classList.add("c-" + m.colour);
    card.dataset.rating = m ? m.colour : "";
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

  function marksTitle(marks) {
    return marks.map((m) => `${t("kpi_" + m.kpi)}: ${t(RATING_KEY[m.colour])}` + (m.reason ? paren(reasonText(m.reason)) : "")).join("; ");
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
      cell(tr, h.org_name, "name").title = h.org_code;
      cell(tr, t("lv" + h.level), "nowrap");
      cell(tr, h.area_name || h.area_code, "nowrap");
      cell(tr, num(h.visits), "num");
      shareCell(tr, h.ecard_share, "ecard", h.visits);
      shareCell(tr, h.physical_share, "legacy", h.visits);
      cell(tr, badge(h.rating), "nowrap").title = marksTitle(h.marks);
      tbody.appendChild(tr);
    }
  }

  function renderCounties(r) {
    const tbody = $("#counties tbody");
    tbody.textContent = "";
    for (const c of r.counties) {
      const tr = document.createElement("tr");
      tr.dataset.area = c.area_code;
      tr.dataset.rating = c.rating;
      cell(tr, `${c.area_name} ${c.area_code}`, "name");
      cell(tr, c.population ? num(c.population) : "–", "num");
      cell(tr, num(c.holders), "num");
      cell(tr, c.population ? pct(c.coverage) : "–", "num");
      cell(tr, c.visits ? pct(c.physical_share) : "–", "num");
      cell(tr, badge(c.rating), "nowrap").title = marksTitle(c.marks);
      tbody.appendChild(tr);
    }
  }

  function renderEscalations(e) {
    $("#esc-note").textContent = t("esc_note", { a: e.period.start_date, b: e.period.end_date, n: e.weeks.length, k: e.threshold_reds });
    const tbody = $("#escalations tbody");
    tbody.textContent = "";
    if (!e.escalations.length) {
      const tr = document.createElement("tr");
      cell(tr, t("none_listed")).colSpan = 4;
      tbody.appendChild(tr);
    }
    for (const x of e.escalations) {
      const tr = document.createElement("tr");
      tr.dataset.code = x.code;
      cell(tr, t(x.entity), "nowrap");
      cell(tr, x.name || x.code, "name");
      cell(tr, String(x.reds), "num");
      const weeks = document.createElement("span");  // each date on one line: a break only between dates
      x.red_weeks.forEach((w, i) => {
        const d = document.createElement("span");
        d.className = "date";
        d.textContent = w;
        if (i) weeks.appendChild(document.createTextNode(" "));
        weeks.appendChild(d);
      });
      cell(tr, weeks, "mono");
      tbody.appendChild(tr);
    }
  }

  /* ---------------------------------------------------------------- charts (Chart.js) */
  function baseOptions(title) {
    return {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: {
        title: { display: true, text: title, color: "#1d2633", font: { size: 14, weight: "600" }, align: "start" },
        legend: { position: "bottom", labels: { boxWidth: 14, color: C.ink } },
      },
    };
  }

  function pctAxis(extra) {
    // axes from zero: shares are drawn on the whole 0–100 % scale, never a zoomed band
    return Object.assign({ min: 0, max: 1, beginAtZero: true, ticks: { callback: (v) => Math.round(v * 100) + "%", color: C.ink }, grid: { color: C.grid } }, extra || {});
  }

  function dateAxis() {
    // whole YYYY-MM-DD labels, never rotated; Chart.js skips labels that would overlap
    return { ticks: { maxRotation: 0, minRotation: 0, autoSkip: true, autoSkipPadding: 16, color: C.ink }, grid: { display: false } };
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    const canvas = document.getElementById(id);
    canvas.setAttribute("aria-label", config.options.plugins.title.text);
    charts[id] = new window.Chart(canvas, config);
  }

  function renderCharts(r, e) {
    const labels = r.trend.map((p) => p.week_start);
    const line = (label, colour, values, dash) => ({ label, data: values, borderColor: colour, backgroundColor: colour,
      borderWidth: 2, borderDash: dash || [], pointRadius: labels.length <= 40 ? 2 : 0, spanGaps: false, tension: 0 });
    const datasets = [
      line(t("s_ecard"), C.ecard, r.trend.map((p) => (p.visits ? p.ecard_share : null))),
      line(t("s_legacy"), C.legacy, r.trend.map((p) => (p.visits ? p.physical_share : null))),
      line(t("s_cov"), C.cov, r.trend.map((p) => (r.summary.population ? p.coverage : null)), [6, 3]),
    ];
    for (const [kpi, key, colour] of [["ecard_share", "t_ecard", C.ecard], ["physical_share", "t_legacy", C.legacy], ["coverage", "t_cov", C.cov]]) {
      const m = mark(r.summary.marks, kpi);
      if (m && m.target) {
        const d = line(`${t(key)} ${pct(m.target.threshold)}`, colour, labels.map(() => m.target.threshold), [3, 4]);
        d.borderWidth = 1; d.pointRadius = 0;
        datasets.push(d);
      }
    }
    const trend = baseOptions(t("chart_trend"));
    trend.scales = { x: dateAxis(), y: pctAxis() };
    trend.plugins.tooltip = { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? "–" : pct(c.parsed.y)}` } };
    draw("chart-trend", { type: "line", data: { labels, datasets }, options: trend });

    const lv = r.levels.filter((l) => l.visits);
    const bar = (label, colour, values) => ({ label, data: values, backgroundColor: colour, borderWidth: 0 });
    const levels = baseOptions(t("chart_levels"));
    levels.indexAxis = "y";
    levels.scales = { x: pctAxis({ stacked: true }), y: { stacked: true, ticks: { color: C.ink }, grid: { display: false } } };
    levels.plugins.tooltip = { callbacks: { label: (c) => `${c.dataset.label}: ${pct(c.parsed.x)}` } };
    draw("chart-levels", { type: "bar", data: { labels: lv.map((l) => t("lv" + l.level) + paren(num(l.visits))), datasets: [
      bar(t("ecard"), C.ecard, lv.map((l) => l.ecard_share)),
      bar(t("legacy"), C.legacy, lv.map((l) => l.physical_share)),
      bar(t("other_media"), C.other, lv.map((l) => Math.max(0, 1 - l.ecard_share - l.physical_share))),
    ] }, options: levels });

    const notices = baseOptions(t("chart_notices"));
    notices.scales = { x: Object.assign(dateAxis(), { stacked: true }),
      y: { stacked: true, beginAtZero: true, min: 0, ticks: { precision: 0, color: C.ink }, grid: { color: C.grid } } };
    // the red of a red mark is the page's red: the count of reds each week is what officers look for
    draw("chart-notices", { type: "bar", data: { labels: e.weeks.map((w) => w.week_start), datasets: [
      bar(t("r_red"), C.red, e.weeks.map((w) => w.red)),
      bar(t("r_yellow"), C.yellow, e.weeks.map((w) => w.yellow)),
      bar(t("r_blue"), C.blue, e.weeks.map((w) => w.blue)),
    ] }, options: notices });
  }

  function render(r, e) {
    lastReport = r;
    lastEsc = e;
    const s = r.summary;
    setCard("#kpi-coverage", s.population ? pct(s.coverage) : "–",
      t("holders_of", { a: num(s.holders), b: num(s.population) }), mark(s.marks, "coverage") || null);
    setCard("#kpi-ecard", s.tertiary_visits ? pct(s.tertiary_ecard_share) : "–",
      t("tertiary_of", { a: num(s.tertiary_ecard_visits), b: num(s.tertiary_visits), c: pct(s.ecard_share) }),
      mark(s.marks, "ecard_share") || null);
    setCard("#kpi-physical", s.visits ? pct(s.physical_share) : "–",
      t("visits_of", { a: num(s.physical_visits), b: num(s.visits) }), mark(s.marks, "physical_share") || null);
    setCard("#kpi-visits", num(s.visits), t("by_ecard", { a: num(s.ecard_visits) }), undefined);
    const overall = $("#kpi-visits .target");
    overall.textContent = t("overall") + " ";
    overall.appendChild(badge(s.rating));
    if (s.hospital_cards_refused) {
      const refused = document.createElement("div");
      refused.className = "refused";  // refusals in red
      refused.textContent = t("refused", { a: num(s.hospital_cards_refused) });
      overall.appendChild(refused);
    }
    renderCharts(r, e);
    renderHospitals();
    renderCounties(r);
    renderEscalations(e);
    const q = query().toString();
    for (const tb of ["hospitals", "counties", "ratings", "escalations"]) $("#csv-" + tb).href = `/dashboard/api/export.csv?${q}&table=${tb}`;
    $("#notice-pdf").href = `/dashboard/api/notice.pdf?${q}`;
    const where = r.area_name ? `${r.area_name} ${r.area_code}` : t("all");
    $("#status").textContent = t("status", { where, a: r.period.start_date, b: r.period.end_date, tz: r.period.time_zone,
      n: r.hospitals.length, c: meta.data_from || "–", d: meta.data_to || "–" });
    $("#status").classList.remove("error");
    document.body.dataset.loaded = q;
  }

  function header() {
    const where = [meta.node_area, meta.node_id].filter(Boolean).join(" ");
    $("#profile-line").textContent = `${t("profile")}${colon()}${meta.profile_title || meta.profile || t("profile_none")} · ${t("city")}${colon()}${where || "–"}`;
    $("#profile-line").removeAttribute("data-i18n");
    $("#rule").textContent = t("rule") + colon() + (lang === "zh" && meta.rule_zh ? meta.rule_zh : meta.rule);
  }

  function fail(err) {
    $("#status").textContent = t("fail") + err.message;
    $("#status").classList.add("error");
  }

  async function load() {
    $("#status").textContent = t("loading");
    document.body.dataset.loaded = "";
    if (!ISO.test($("#f-start").value) || !ISO.test($("#f-end").value)) { fail(new Error(t("bad_date"))); return; }
    try {
      const q = query();
      const [r, e] = await Promise.all([getJson("/dashboard/api/kpis?" + q), getJson("/dashboard/api/escalations?" + q)]);
      render(r, e);
    } catch (err) {
      fail(err);
    }
  }

  function switchLang() {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG_KEY, lang);
    applyLang();
    if (meta) header();
    if (lastReport) render(lastReport, lastEsc);
  }

  async function init() {
    applyLang();
    $("#lang").addEventListener("click", switchLang);
    $("#print").addEventListener("click", () => window.print());
    // charts follow the page width on paper too
    window.addEventListener("beforeprint", () => { for (const c of Object.values(charts)) c.resize(); });
    window.addEventListener("afterprint", () => { for (const c of Object.values(charts)) c.resize(); });
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
    header();
    $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
    $("#f-rating").addEventListener("change", renderHospitals);
    for (const b of document.querySelectorAll("[data-preset]")) {
      b.addEventListener("click", () => { const [s, e] = b.dataset.preset.split(","); $("#f-start").value = s; $("#f-end").value = e; load(); });
    }
    await load();
  }

  document.addEventListener("DOMContentLoaded", () => init().catch(fail));
})();
