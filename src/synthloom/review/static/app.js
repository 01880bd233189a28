"use strict";
// synthloom review: every row value is put on the page as text (textContent), never as markup.
const $ = (id) => document.getElementById(id);
const S = {
  me: null, view: "focus", queue: [], pos: 0, current: null, editing: false, panel: null,
  filter: { text: "", state: null, reviewer: null, reason: null, where: [] }, page: 0, pageSize: 50, total: 0,
  fields: [],
};

async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: {}, credentials: "same-origin" };
  if (init.method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRF-Token"] = S.me ? S.me.csrf : "";
    init.body = JSON.stringify(options.body || {});
  }
  const resp = await fetch(path, init);
  if (resp.status === 401) { location.href = "/login"; throw new Error("signed out"); }
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error || `HTTP ${resp.status}`);
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function toast(message, error = false) {
  const t = $("toast");
  t.textContent = message;
  t.className = error ? "toast error" : "toast";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, error ? 5000 : 1800);
}

async function guarded(work) {
  try { return await work(); } catch (err) { toast(err.message, true); return undefined; }
}

const filterParam = () => encodeURIComponent(JSON.stringify(S.filter));
const quote = (part) => String(part).replace(/~/g, "~0").replace(/\//g, "~1");

// ---- header ----
async function refreshStats() {
  const { summary } = await api("/api/stats");
  const box = $("stats");
  box.replaceChildren();
  const add = (label, value) => { const s = el("span"); s.append(label + " ", el("b", null, value)); box.append(s); };
  add("reviewed", `${summary["review.reviewed"]} / ${S.me.rows}`);
  if (summary["review.acceptance_rate"] !== undefined) {
    add("accepted", `${(100 * summary["review.acceptance_rate"]).toFixed(1)}% ` +
        `(${(100 * summary["review.acceptance_low"]).toFixed(0)}–${(100 * summary["review.acceptance_high"]).toFixed(0)}%)`);
  }
  if (summary["review.agreement_alpha"] !== undefined) add("α", summary["review.agreement_alpha"].toFixed(2));
}

// ---- the row ----
function piiMarks(text, spans) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const [start, end, kind] of spans.sort((a, b) => a[0] - b[0])) {
    if (start < at) continue;
    frag.append(document.createTextNode(text.slice(at, start)));
    const mark = el("mark", "pii", text.slice(start, end));
    mark.title = kind;
    frag.append(mark);
    at = end;
  }
  frag.append(document.createTextNode(text.slice(at)));
  return frag;
}

const isChat = (value) => Array.isArray(value) && value.length > 0 &&
  value.every((m) => m && typeof m === "object" && typeof m.role === "string" && "content" in m);

function renderChat(messages, pointer, original, pii) {
  const box = el("div", "chat");
  messages.forEach((message, index) => {
    const turn = el("div", "turn " + (message.role === "user" ? "user" : message.role === "assistant" ? "assistant" : "other"));
    turn.append(el("div", "role", message.role));
    turn.append(renderValue(message.content, `${pointer}/${index}/content`, original, pii));
    box.append(turn);
  });
  return box;
}

function renderValue(value, pointer, original, pii) {
  if (isChat(value)) return renderChat(value, pointer, original, pii);
  if (value !== null && typeof value === "object") {
    const box = el("div", "nested");
    for (const [key, inner] of Object.entries(value)) {
      if (String(key).startsWith("_")) continue;
      box.append(renderField(key, inner, `${pointer}/${quote(key)}`, original, pii));
    }
    return box;
  }
  if (typeof value === "string" && S.editing) {
    const area = el("textarea", "value");
    area.value = value;
    area.dataset.pointer = pointer;
    area.dataset.before = value;
    area.rows = Math.min(12, Math.max(2, Math.ceil(value.length / 90)));
    return area;
  }
  const shown = el("pre", typeof value === "number" ? "value num" : "value");
  const spans = pii[pointer];
  if (typeof value === "string" && spans) shown.append(piiMarks(value, spans));
  else shown.textContent = value === null ? "—" : String(value);
  if (original !== undefined && JSON.stringify(pick(original, pointer)) !== JSON.stringify(value)) {
    shown.classList.add("changed");
    shown.title = "edited; was: " + JSON.stringify(pick(original, pointer));
  }
  return shown;
}

function renderField(key, value, pointer, original, pii) {
  const row = el("div", "field");
  row.append(el("div", "key", key), renderValue(value, pointer, original, pii));
  return row;
}

function pick(doc, pointer) {
  let value = doc;
  for (const part of pointer.split("/").slice(1)) {
    if (value === null || typeof value !== "object") return undefined;
    value = value[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return value;
}

function renderRow() {
  const row = $("row");
  row.replaceChildren();
  const cur = S.current;
  if (!cur) {
    row.append(el("p", "muted", S.queue.length ? "End of the queue." : "No rows in this queue."));
    $("state").replaceChildren(); $("events").replaceChildren(); $("lineage").textContent = ""; $("risk").textContent = "";
    $("queue-pos").textContent = "";
    return;
  }
  row.className = "row " + (cur.state.decision || "");
  row.append(el("div", "row-id", `${cur.row_id} · item ${cur.item}`));
  const pii = {};
  for (const [pointer, start, end, kind] of cur.pii || []) (pii[pointer] = pii[pointer] || []).push([start, end, kind]);
  for (const [key, value] of Object.entries(cur.data)) {
    if (String(key).startsWith("_")) continue;
    row.append(renderField(key, value, "/" + quote(key), cur.original, pii));
  }
  const state = $("state");
  state.replaceChildren();
  const decision = cur.state.decision;
  state.append(el("span", "badge " + (decision || ""), decision ? decision + "ed" : "undecided"));
  if (cur.state.edited) state.append(" ", el("span", "badge edited", "edited"));
  if (decision) state.append(el("div", "muted", `by ${cur.state.by}` + (cur.state.reason ? ` · ${cur.state.reason}` : "")));
  $("risk").textContent = [...(cur.flags || []).map((f) => `curation: ${f}`), ...(cur.risk || [])].join(" · ");
  const events = $("events");
  events.replaceChildren();
  const undone = new Set(cur.events.filter((e) => e.action === "undo").map((e) => e.target));
  for (const e of cur.events) {
    const when = new Date(e.at * 1000).toLocaleString();
    let what = e.action;
    if (e.reason) what += `: ${e.reason}`;
    if (e.field) what += ` ${e.field}`;
    if (e.target) what += ` #${e.target}`;
    const li = el("li", undone.has(e.event) ? "undone" : "", `#${e.event} ${e.reviewer} ${what} · ${when}`);
    if (e.field) li.title = `before: ${JSON.stringify(e.before)}\nafter: ${JSON.stringify(e.after)}`;
    events.append(li);
  }
  $("lineage").textContent = cur.lineage ? JSON.stringify(cur.lineage, null, 1) : "—";
  $("queue-pos").textContent = `${S.pos + 1} of ${S.queue.length}`;
}

async function loadCurrent() {
  S.editing = false;
  $("editbar").hidden = true;
  if (S.pos < 0) S.pos = 0;
  const id = S.queue[S.pos];
  S.current = id === undefined ? null : await api(`/api/items/${id}`);
  renderRow();
}

async function buildQueue(keepItem) {
  const kind = $("queue-kind").value;
  $("queue-by").hidden = kind !== "stratified";
  let ids;
  if (kind === "filter") ids = (await api(`/api/ids?filter=${filterParam()}`)).ids;
  else if (kind === "similar") {
    toast("finding rows like this one (the first time loads the embedding model)");
    const found = await api(`/api/similar/${S.similarTo}`);
    ids = [S.similarTo, ...found.ids];
    toast(`${found.ids.length} rows like #${S.similarTo} (${found.by})`);
  } else {
    const by = kind === "stratified" ? `&by=${encodeURIComponent($("queue-by").value)}` : "";
    ids = (await api(`/api/queue?kind=${kind}${by}`)).ids;
  }
  S.queue = ids;
  S.pos = keepItem !== undefined && ids.includes(keepItem) ? ids.indexOf(keepItem) : 0;
  await loadCurrent();
}

async function move(step) {
  if (!S.queue.length) return;
  S.pos = Math.max(0, Math.min(S.queue.length, S.pos + step));
  await loadCurrent();
}

async function decide(decision, reason) {
  if (!S.current) return;
  await api(`/api/items/${S.current.item}/decide`, { method: "POST", body: { decision, reason } });
  toast(decision === "accept" ? "accepted" : `rejected: ${reason}`);
  refreshStats();
  await move(1);
}

function startEdit() {
  if (!S.current) return;
  S.editing = true;
  renderRow();
  $("editbar").hidden = false;
  const first = $("row").querySelector("textarea");
  if (first) first.focus();
  else { toast("this row has no text to edit", true); cancelEdit(); }
}

function cancelEdit() { S.editing = false; $("editbar").hidden = true; renderRow(); $("row").focus({ preventScroll: true }); }

async function saveEdit() {
  const changed = [...$("row").querySelectorAll("textarea")].filter((a) => a.value !== a.dataset.before);
  for (const area of changed) {
    await api(`/api/items/${S.current.item}/edit`, {
      method: "POST", body: { field: area.dataset.pointer, value: area.value, expected: area.dataset.before } });
  }
  S.editing = false;
  $("editbar").hidden = true;
  toast(changed.length ? `saved ${changed.length} field${changed.length > 1 ? "s" : ""}` : "nothing changed");
  S.current = await api(`/api/items/${S.current.item}`);
  renderRow();
  $("row").focus({ preventScroll: true });
}

function openPanel(id) {
  closePanels();
  S.panel = id;
  $(id).hidden = false;
  const input = $(id).querySelector("input");
  if (input) { input.value = ""; input.focus(); }
}

function closePanels() {
  for (const id of ["reasons", "commentbox", "help"]) $(id).hidden = true;
  S.panel = null;
  $("row").focus({ preventScroll: true });
}

async function undo() {
  if (!S.current) return;
  await api("/api/undo", { method: "POST", body: { item: S.current.item } });
  toast("undone");
  refreshStats();
  S.current = await api(`/api/items/${S.current.item}`);
  renderRow();
}

async function moreLikeThis() {
  if (!S.current) return;
  S.similarTo = S.current.item;
  const option = $("queue-kind").querySelector('option[value="similar"]');
  option.hidden = false;
  option.textContent = `more like row #${S.similarTo}`;
  $("queue-kind").value = "similar";
  await buildQueue(S.similarTo);
}

// ---- table ----
function renderChips() {
  const chips = $("f-chips");
  chips.replaceChildren();
  S.filter.where.forEach((cond, index) => {
    const chip = el("span", "chip", `${cond[0]} ${cond[1]} ${JSON.stringify(cond[2])}`);
    const drop = el("button", null, "×");
    drop.title = "remove";
    drop.addEventListener("click", () => { S.filter.where.splice(index, 1); renderChips(); loadTable(0); });
    chip.append(drop);
    chips.append(chip);
  });
}

async function loadTable(page) {
  S.page = page;
  S.filter.text = $("f-text").value;
  S.filter.state = $("f-state").value || null;
  S.filter.reviewer = $("f-reviewer").value || null;
  S.filter.reason = $("f-reason").value || null;
  S.filter.flag = $("f-flag").value || null;
  const data = await api(`/api/items?filter=${filterParam()}&offset=${page * S.pageSize}&limit=${S.pageSize}`);
  S.total = data.total;
  const body = $("grid");
  body.replaceChildren();
  for (const item of data.items) {
    const tr = el("tr");
    const badge = el("span", "badge " + (item.decision || ""), item.decision ? item.decision + "ed" : "—");
    const stateCell = el("td");
    stateCell.append(badge);
    if (item.edited) stateCell.append(" ", el("span", "badge edited", "edited"));
    tr.append(el("td", "muted", item.item), stateCell, el("td", "preview", item.preview), el("td", "muted", item.by || ""));
    tr.addEventListener("click", () => openInFocus(item.item));
    body.append(tr);
  }
  const from = data.total ? page * S.pageSize + 1 : 0;
  $("page-info").textContent = `${from}–${Math.min(data.total, (page + 1) * S.pageSize)} of ${data.total}`;
  $("select-all").checked = false;
  $("bulk").hidden = true;
  $("select-label").textContent = `select all ${data.total} rows that match`;
}

async function openInFocus(item) {
  $("queue-kind").value = "filter";
  showView("focus");
  await buildQueue(item);
}

async function bulk(decision) {
  const reason = decision === "reject" ? $("bulk-reason").value : null;
  const data = await api("/api/bulk", { method: "POST", body: { filter: S.filter, decision, reason, expected: S.total } });
  toast(`${decision}ed ${data.decided} rows`);
  refreshStats();
  await loadTable(S.page);
}

async function loadFields() {
  S.fields = await api("/api/fields");
  const field = $("f-field"), by = $("queue-by");
  field.replaceChildren(); by.replaceChildren();
  for (const f of S.fields) {
    field.append(new Option(f.field, f.field));
    if (f.values) by.append(new Option(f.field, f.field));
  }
  const reviewer = $("f-reviewer");
  for (const name of S.me.reviewers) reviewer.append(new Option(name, name));
  fillValues();
}

async function loadReasons() {
  const select = $("f-reason"), chosen = select.value;
  select.replaceChildren(new Option("any rejection reason", ""));
  for (const { reason, rows } of await api("/api/reasons")) select.append(new Option(`${reason} (${rows})`, reason));
  select.value = chosen;
}

function fillValues() {
  const f = S.fields.find((x) => x.field === $("f-field").value);
  const list = $("f-values");
  list.replaceChildren();
  for (const v of (f && f.values) || []) list.append(new Option(v, v));
}

function addCondition() {
  const field = $("f-field").value, op = $("f-op").value, raw = $("f-value").value;
  const kind = (S.fields.find((x) => x.field === field) || {}).kind;
  let value = raw;
  if (kind === "number" && raw.trim() !== "" && !isNaN(Number(raw))) value = Number(raw);
  if (kind === "bool") value = raw === "true";
  S.filter.where.push([field, op, value]);
  $("f-value").value = "";
  renderChips();
  loadTable(0);
}

function showView(view) {
  S.view = view;
  $("view-focus").hidden = view !== "focus";
  $("view-table").hidden = view !== "table";
  $("tab-focus").classList.toggle("active", view === "focus");
  $("tab-table").classList.toggle("active", view === "table");
  if (view === "table") loadTable(S.page);
  else $("row").focus({ preventScroll: true });
}

// ---- keys ----
function typing(target) { return ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName); }

document.addEventListener("keydown", (event) => {
  const key = event.key;
  if (S.editing) {
    if (key === "Escape") { event.preventDefault(); cancelEdit(); }
    else if (key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); guarded(saveEdit); }
    return;
  }
  if (S.panel === "reasons") {
    if (key === "Escape") { event.preventDefault(); closePanels(); return; }
    const preset = S.me.reasons[Number(key) - 1];
    if (/^[1-9]$/.test(key) && preset && $("reason-text").value === "") {
      event.preventDefault(); closePanels(); guarded(() => decide("reject", preset)); return;
    }
    if (key === "Enter") {
      event.preventDefault();
      const reason = $("reason-text").value.trim();
      if (reason) { closePanels(); guarded(() => decide("reject", reason)); }
    }
    return;
  }
  if (S.panel === "commentbox") {
    if (key === "Escape") { event.preventDefault(); closePanels(); return; }
    if (key === "Enter") {
      event.preventDefault();
      const text = $("comment-text").value.trim();
      closePanels();
      if (text && S.current) guarded(async () => {
        await api(`/api/items/${S.current.item}/comment`, { method: "POST", body: { text } });
        S.current = await api(`/api/items/${S.current.item}`);
        renderRow();
        toast("comment saved");
      });
    }
    return;
  }
  if (S.panel === "help") { if (key === "Escape" || key === "?") closePanels(); return; }
  if (typing(event.target)) {
    if (key === "Escape") event.target.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = {
    t: () => showView("table"), f: () => showView("focus"), "?": () => openPanel("help"),
  };
  if (S.view === "focus") Object.assign(actions, {
    a: () => guarded(() => decide("accept")),
    r: () => { if (S.current) openPanel("reasons"); },
    e: () => startEdit(),
    c: () => { if (S.current) openPanel("commentbox"); },
    j: () => guarded(() => move(1)), ArrowRight: () => guarded(() => move(1)),
    k: () => guarded(() => move(-1)), ArrowLeft: () => guarded(() => move(-1)),
    u: () => guarded(undo),
    m: () => guarded(moreLikeThis),
  });
  if (S.view === "table") actions["/"] = () => $("f-text").focus();
  if (actions[key]) { event.preventDefault(); actions[key](); }
});

// ---- start ----
async function start() {
  S.me = await api("/api/me");
  $("title").textContent = S.me.title;
  $("reviewer").textContent = S.me.reviewer;
  const list = $("reason-list"), bulkReason = $("bulk-reason");
  S.me.reasons.forEach((reason) => { list.append(el("li", null, reason)); bulkReason.append(new Option(reason, reason)); });
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => showView(tab.dataset.view)));
  $("logout").addEventListener("click", () => guarded(async () => {
    await api("/logout", { method: "POST" }); location.href = "/login";
  }));
  $("queue-kind").addEventListener("change", () => guarded(() => buildQueue()));
  $("queue-by").addEventListener("change", () => guarded(() => buildQueue()));
  $("f-text").addEventListener("keydown", (e) => { if (e.key === "Enter") guarded(() => loadTable(0)); });
  for (const id of ["f-state", "f-reviewer", "f-reason", "f-flag"]) {
    $(id).addEventListener("change", () => guarded(() => loadTable(0)));
  }
  $("f-reason").addEventListener("focus", () => guarded(loadReasons));
  $("f-field").addEventListener("change", fillValues);
  $("f-add").addEventListener("click", () => guarded(async () => addCondition()));
  $("f-value").addEventListener("keydown", (e) => { if (e.key === "Enter") guarded(async () => addCondition()); });
  $("page-prev").addEventListener("click", () => { if (S.page > 0) guarded(() => loadTable(S.page - 1)); });
  $("page-next").addEventListener("click", () => {
    if ((S.page + 1) * S.pageSize < S.total) guarded(() => loadTable(S.page + 1));
  });
  $("select-all").addEventListener("change", () => { $("bulk").hidden = !$("select-all").checked; });
  $("bulk-accept").addEventListener("click", () => guarded(() => bulk("accept")));
  $("bulk-reject").addEventListener("click", () => guarded(() => bulk("reject")));
  await loadFields();
  for (const { flag, rows } of await api("/api/flags")) $("f-flag").append(new Option(`${flag} (${rows})`, flag));
  await refreshStats();
  await buildQueue();
  $("row").focus({ preventScroll: true });
}

guarded(start);
