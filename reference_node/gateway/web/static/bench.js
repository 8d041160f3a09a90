/* Scanner test bench: show each sample, capture what a keyboard-wedge scanner types, report. */
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  let samples = [];
  let results = [];
  let index = -1;
  let shownAt = 0;
  let startedAt = "";
  let running = false;

  async function getJson(url, init) {
    const res = await fetch(url, init);
    const body = await res.json();
    if (!res.ok) throw new Error(body.message || body.code || res.statusText);
    return body;
  }

  function show(i) {
    index = i;
    const s = samples[i];
    $("#progress").textContent = `${i + 1} / ${samples.length}`;
    $("#kind").textContent = s.kind;
    $("#desc").textContent = s.description;
    const img = $("#code");
    img.onload = () => { shownAt = performance.now(); };
    shownAt = performance.now();
    img.src = s.image;
    img.dataset.sample = s.sample_id;
    const w = $("#wedge");
    w.value = "";
    w.focus();
  }

  function record(typed) {
    if (!running) return;
    const s = samples[index];
    const millis = Math.round(performance.now() - shownAt);
    const verdict = typed === s.expected ? "correct" : typed === "" ? "missed" : "misread";
    results.push({ sample_id: s.sample_id, typed, millis });
    const li = document.createElement("li");
    li.className = verdict;
    li.textContent = `${index + 1}. ${s.sample_id}: ${verdict} (${millis} ms)`;
    $("#log").prepend(li);
    if (index + 1 < samples.length) show(index + 1); else finish();
  }

  async function finish() {
    if (!running) return;
    running = false;
    $("#stage").hidden = true;
    $("#report").hidden = false;
    const run = { scanner: $("#scanner").value, operator: $("#operator").value, started_at: startedAt, results };
    let report;
    try {
      report = await getJson("/scanner-bench/api/runs", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          // same-origin token the node put in this page (CSRF guard of the one write)
          "X-EHC-Page-Token": document.querySelector('meta[name="ehc-page-token"]').content,
        },
        body: JSON.stringify(run),
      });
      $("#r-status").textContent = `Stored on the node as run ${report.run_id} (scored by the node).`;
      const link = $("#stored");
      link.href = `/scanner-bench/api/runs/${report.run_id}`;
      link.hidden = false;
    } catch (err) {
      report = localReport(run);
      $("#r-status").textContent = "Not stored on the node (" + err.message + "); report scored in the page.";
      $("#r-status").classList.add("error");
    }
    renderReport(report);
    loadRuns();
  }

  function localReport(run) {
    const scored = run.results.map((r, i) => {
      const s = samples.find((x) => x.sample_id === r.sample_id);
      const verdict = r.typed === s.expected ? "correct" : r.typed === "" ? "missed" : "misread";
      return { index: i, sample_id: r.sample_id, expected: s.expected, typed: r.typed, millis: r.millis, verdict, correct: verdict === "correct" };
    });
    const times = scored.filter((r) => r.verdict !== "missed").map((r) => r.millis).sort((a, b) => a - b);
    const mid = times.length ? (times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2) : 0;
    return { ...run, results: scored, codes_total: scored.length, codes_correct: scored.filter((r) => r.correct).length,
      misreads: scored.filter((r) => r.verdict === "misread").length, median_millis: mid };
  }

  function renderReport(report) {
    const missed = report.results.filter((r) => r.verdict === "missed").length;
    $("#r-correct .value").textContent = `${report.codes_correct} / ${report.codes_total}`;
    $("#r-misreads .value").textContent = String(report.misreads);
    $("#r-missed .value").textContent = String(missed);
    $("#r-median .value").textContent = `${report.median_millis} ms`;
    const tbody = $("#results tbody");
    tbody.textContent = "";
    for (const r of report.results) {
      const tr = document.createElement("tr");
      tr.dataset.sample = r.sample_id;
      tr.dataset.verdict = r.verdict;
      for (const [text, cls] of [[String(r.index + 1), "num"], [r.sample_id, ""], [r.expected, "mono"], [r.typed, "mono"], [r.verdict, "v-" + r.verdict], [String(r.millis), "num"]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    const blob = new Blob([JSON.stringify(report, null, 2)], { type: "application/json" });
    $("#download").href = URL.createObjectURL(blob);
    document.body.dataset.report = report.run_id || "local";
  }

  async function loadRuns() {
    try {
      const { runs } = await getJson("/scanner-bench/api/runs");
      const tbody = $("#runs tbody");
      tbody.textContent = "";
      for (const r of runs) {
        const tr = document.createElement("tr");
        const a = document.createElement("a");
        a.href = `/scanner-bench/api/runs/${r.run_id}`;
        a.textContent = r.run_id;
        const cells = [a, r.created_at, r.scanner || "–", `${r.codes_correct} / ${r.codes_total}`, String(r.misreads), String(r.median_millis)];
        cells.forEach((c, i) => {
          const td = document.createElement("td");
          if (c instanceof Node) td.appendChild(c); else td.textContent = c;
          if (i >= 3) td.className = "num";
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      }
    } catch (err) { /* the list is informational */ }
  }

  async function start() {
    samples = (await getJson("/scanner-bench/api/samples")).samples;
    results = [];
    startedAt = new Date().toISOString();
    running = true;
    $("#log").textContent = "";
    $("#report").hidden = true;
    $("#stage").hidden = false;
    show(0);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#start").addEventListener("click", () => start().catch((err) => alert(err.message)));
    $("#wedge").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); record($("#wedge").value); }
    });
    $("#wedge").addEventListener("blur", () => { if (running) setTimeout(() => $("#wedge").focus(), 0); });
    $("#skip").addEventListener("click", () => record(""));
    $("#stop").addEventListener("click", () => finish());
    loadRuns();
  });
})();
