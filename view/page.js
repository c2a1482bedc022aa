// vagent view: keyboard navigation and the filmstrip (run page), filters and search (evaluation
// page), and, when served over http, live updates from live.json (both pages).
"use strict";
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const isRun = document.body.classList.contains("run");

// -- run page: the current step, moved by keys or by the filmstrip --------------------------------
let current = -1;
function go(i, scroll = true) {
  const steps = $$("#steps .step");
  if (!steps.length) return;
  i = Math.max(0, Math.min(i, steps.length - 1));
  steps.forEach((s, k) => s.classList.toggle("on", k === i));
  $$("#film .thumb").forEach((t, k) => t.classList.toggle("on", k === i));
  current = i;
  if (scroll) {
    steps[i].scrollIntoView({ block: "start" });
    const thumb = $$("#film .thumb")[i];
    if (thumb) thumb.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
}
if (isRun) {
  document.addEventListener("keydown", (e) => {
    if (e.target.closest && e.target.closest("input, textarea")) return;
    const n = $$("#steps .step").length;
    const moves = { ArrowRight: current + 1, j: current + 1, ArrowLeft: current - 1, k: current - 1,
                    Home: 0, End: n - 1 };
    if (e.key in moves && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); go(moves[e.key]); }
  });
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("#film .thumb");
    if (a) { e.preventDefault(); go(Number(a.dataset.to)); }
  });
  const m = /^#s(\d+)$/.exec(location.hash);
  if (m) go(Number(m[1]));
}

// -- evaluation page: filter by result, search by task ------------------------------------------
let filter = "all";
function applyFilter() {
  const q = ($("#q") || { value: "" }).value.trim().toLowerCase();
  let shown = 0;
  const rows = $$("#rows tr");
  for (const r of rows) {
    const ok = (filter === "all" || r.dataset.state === filter) && (!q || r.dataset.task.includes(q));
    r.hidden = !ok;
    if (ok) shown++;
  }
  const out = $("#shown");
  if (out) out.textContent = `${shown} of ${rows.length} shown`;
}
if (!isRun) {
  $$(".tools button").forEach((b) => b.addEventListener("click", () => {
    filter = b.dataset.filter;
    $$(".tools button").forEach((x) => x.classList.toggle("on", x === b));
    applyFilter();
  }));
  $("#q").addEventListener("input", applyFilter);
  applyFilter();
}

// -- live updates: only when served (a file:// page is a snapshot) -------------------------------
const LISTS = { steps: "steps", film: "film", rows: "rows" };
let count = Number(document.body.dataset.n || 0);
const shown = {};  // the regions' html as last received, so an unchanged region keeps its state
async function poll() {
  try {
    const r = await fetch(`live.json?n=${count}`, { cache: "no-store" });
    if (r.ok) {
      const d = await r.json();
      if (d.n < count) { location.reload(); return; }  // the files were rewritten: start over
      for (const [id, html] of Object.entries(d.regions)) {
        const el = document.getElementById(id);
        if (el && shown[id] !== undefined && shown[id] !== html) el.innerHTML = html;
        shown[id] = html;
      }
      for (const [name, items] of Object.entries(d.append)) {
        const el = document.getElementById(LISTS[name]);
        if (el && items.length) el.insertAdjacentHTML("beforeend", items.join(""));
      }
      count = d.n;
      document.body.dataset.n = String(count);
      if (!isRun) applyFilter();
    }
  } catch (err) { /* the server stopped: keep what is shown, try again */ }
  setTimeout(poll, 500);
}
if (location.protocol === "http:" || location.protocol === "https:") setTimeout(poll, 500);
