"use strict";
// Every piece of document text goes into the page through textContent: quotes are data, never markup.

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const state = {
  ready: false,     // the index is loaded and the documents' tiers are known
  watching: false,  // a readiness watch is running
  tierRank: {},     // evidence tier -> 0 for the strongest
  answer: null,     // the answer on show, redrawn when tiers arrive after it
  waiting: null,    // a question asked while the index loads, asked again once it is ready
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setStatus(message, kind, progress) {
  const status = $("status");
  status.replaceChildren();
  status.className = kind || "";
  if (kind === "busy") status.append(el("span", "spinner"));
  if (message) status.append(el("span", "", message));
  if (progress && progress.total) {
    const bar = el("progress");
    bar.max = progress.total;
    bar.value = progress.done || 0;
    bar.setAttribute("aria-label", "Index build progress");
    status.append(bar);
  }
}

// {ok, status, data}; throws only when the server cannot be reached.
async function request(path, options) {
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  return {ok: response.ok, status: response.status, data};
}

const postJSON = (path, body) => request(path, {
  method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
});

// ------------------------------------------------------------------ start-up

function loadingMessage(ready) {
  if (!ready) return "Cannot reach the server; trying again…";
  if (ready.status === "failed") return `The index could not be loaded: ${ready.error}. Trying again…`;
  const p = ready.progress || {step: "loading"};
  if (p.step === "building" && !p.total) return "Building the index from the documents: starting the language model…";
  if (p.step === "building" && p.done >= p.total) return "Building the index from the documents: writing it…";
  if (p.step === "building") {
    const percent = Math.floor(100 * (p.done || 0) / p.total);
    return `Building the index from the documents: ${p.done} of ${p.total} texts embedded (${percent}%)…`;
  }
  if (p.step === "warming-up") return "Almost ready…";
  return "Loading the index…";
}

function showLoading(ready) {
  const waiting = state.waiting ? " Your question will be asked as soon as it is ready." : "";
  const failed = ready && ready.status === "failed";
  setStatus(loadingMessage(ready) + waiting, failed ? "error" : "busy", ready && ready.progress);
}

// Polls /ready until the index is loaded, showing how far it has got, then fetches the documents and asks the
// question that was waiting, if any.
async function watchUntilReady() {
  if (state.watching) return;
  state.watching = true;
  state.ready = false;
  for (;;) {
    let ready = null;
    try {
      const answer = await request("/ready");
      if (answer.ok && await loadDocuments()) {
        $("generate-option").hidden = !answer.data.generate;
        break;
      }
      ready = answer.data;
    } catch (err) { /* not reachable: said below, tried again */ }
    showLoading(ready);
    await sleep(ready && ready.status === "failed" ? 5000 : 1000);
  }
  state.watching = false;
  state.ready = true;
  setStatus("");
  if (state.waiting) {
    const question = state.waiting;
    state.waiting = null;
    await askQuestion(question);
  }
}

async function loadDocuments() {
  const answer = await request("/documents");
  if (!answer.ok) return false;
  const docs = answer.data;
  state.tierRank = {};
  docs.forEach((d) => { state.tierRank[d.evidence_tier] = d.evidence_rank; });
  describeCorpus(docs);
  if (state.answer) renderAnswer(state.answer);
  return true;
}

function describeCorpus(docs) {
  const counts = {};
  docs.forEach((d) => { counts[d.evidence_tier] = (counts[d.evidence_tier] || 0) + 1; });
  const tiers = tiersInOrder().map((t) => `${counts[t]} ${t.replace(/-/g, " ")}`).join(", ");
  $("corpus").textContent = `Answers are quoted word for word from ${docs.length} ` +
    `document${docs.length === 1 ? "" : "s"} (${tiers})`;
  const list = $("documents");
  list.replaceChildren();
  docs.slice().sort((a, b) => a.evidence_rank - b.evidence_rank).forEach((d) => {
    const item = el("li");
    item.append(tierBadge(d.evidence_tier), " ", d.title);
    list.append(item);
  });
  $("corpus-details").hidden = docs.length === 0;
}

function tiersInOrder() {
  return Object.keys(state.tierRank).sort((a, b) => state.tierRank[a] - state.tierRank[b]);
}

// ------------------------------------------------------------------ answers

function tierBadge(tier) {
  const rank = state.tierRank[tier];
  return el("span", `badge tier tier-${rank ?? "unknown"}`, rank === 0 ? `${tier} · strongest evidence` : tier);
}

function renderAnswer(data) {
  state.answer = data;
  renderText(data);
  $("confidence-meter").value = data.confidence;
  $("confidence-value").textContent = `${Math.round(data.confidence * 100)}%`;
  $("timing").textContent = timing(data.timings_ms);
  const list = $("citations");
  list.replaceChildren();
  $("sources-title").hidden = data.citations.length === 0;
  data.citations.forEach((c) => list.append(card(c)));
  renderLegend(data.citations.length > 0);
  $("result").hidden = false;
}

function renderText(data) {
  const answer = $("answer");
  answer.replaceChildren();
  answer.classList.toggle("abstained", data.abstained);
  const disagreement = data.disagreement;
  $("disagreement").hidden = !disagreement;
  $("note").hidden = !disagreement;
  let text = data.answer;
  if (disagreement) {
    $("disagreement").textContent = "The sources disagree on " + disagreement.topics.join(" and ") +
      ": the strongest evidence is listed first.";
    $("note").textContent = disagreement.note;
    // The note closes the answer's text; it is shown once, in its own place.
    if (text.endsWith(disagreement.note)) text = text.slice(0, -disagreement.note.length).trimEnd();
  }
  if (data.abstained) {
    answer.textContent = text;
  } else {
    appendWithMarkers(answer, text);
  }
  renderMode(data);
}

// Text with each [n] made a link to its source card.
function appendWithMarkers(node, text) {
  text.split(/(\[\d+\])/).forEach((part) => {
    const found = /^\[(\d+)\]$/.exec(part);
    if (!found) { if (part) node.append(part); return; }
    const n = Number(found[1]);
    const marker = el("a", "marker", part);
    marker.href = `#cite-${n}`;
    marker.addEventListener("click", (e) => { e.preventDefault(); focusCard(n); });
    node.append(marker);
  });
}

function renderMode(data) {
  const mode = $("mode");
  const v = data.verification;
  if (data.mode === "generate") {
    const dropped = v && v.dropped.length ? `; ${v.dropped.length} unsupported sentence${v.dropped.length > 1 ? "s" : ""} left out` : "";
    mode.textContent = `Written by a language model from the quotes below; every sentence was checked against the quotes it cites${dropped}.`;
  } else if (data.fallback_reason) {
    mode.textContent = `Quoted word for word: a language model was asked, but ${data.fallback_reason}.`;
  } else {
    mode.textContent = "Quoted word for word from the documents.";
  }
  mode.className = `mode mode-${data.mode || "extractive"}`;
}

function timing(timings) {
  if (!timings) return "";
  if ("cache" in timings) return "· cached";
  return `· ${Math.max(1, Math.round(timings.total))} ms`;
}

function renderLegend(show) {
  const tiers = tiersInOrder();
  const list = $("legend-tiers");
  list.replaceChildren();
  tiers.forEach((t) => { const item = el("li"); item.append(tierBadge(t)); list.append(item); });
  $("legend").hidden = !show || tiers.length === 0;
}

function card(c) {
  const rank = state.tierRank[c.evidence_tier];
  const li = el("li", `card tier-${rank ?? "unknown"}`);
  li.id = `cite-${c.n}`;
  const head = el("div", "card-head");
  head.append(el("span", "num", `[${c.n}]`), el("span", "title", c.title));
  head.append(tierBadge(c.evidence_tier), el("span", "badge kind", c.source_type));
  const link = el("a", "open-doc", "Open the document with this quote highlighted");
  link.href = `#doc=${encodeURIComponent(c.doc_id)}&start=${c.char_start}&end=${c.char_end}`;
  li.append(head, el("blockquote", "", c.quote), link);
  return li;
}

function focusCard(n) {
  const target = $(`cite-${n}`);
  if (!target) return;
  target.scrollIntoView({behavior: "smooth", block: "center"});
  target.classList.add("flash");
  setTimeout(() => target.classList.remove("flash"), 1200);
}

async function showDocument() {
  const params = new URLSearchParams(location.hash.slice(1));
  const id = params.get("doc");
  if (!id) { $("document").hidden = true; return; }
  const start = Number(params.get("start")), end = Number(params.get("end"));
  try {
    const answer = await request(`/documents/${encodeURIComponent(id)}`);
    if (!answer.ok) throw new Error(answer.data.detail || "Document not found.");
    const doc = answer.data;
    $("doc-title").textContent = doc.title;
    $("doc-meta").textContent = [doc.evidence_tier, doc.source_type, doc.author, doc.publisher, doc.published]
      .filter(Boolean).join(" · ");
    const text = $("doc-text");
    text.replaceChildren();
    const ok = Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= doc.text.length;
    if (ok) {
      const mark = el("mark", "", doc.text.slice(start, end));
      text.append(doc.text.slice(0, start), mark, doc.text.slice(end));
      $("document").hidden = false;
      mark.scrollIntoView({block: "center"});
    } else {
      text.textContent = doc.text;
      $("document").hidden = false;
    }
  } catch (err) {
    setStatus(err.message, "error");
  }
}

// ------------------------------------------------------------------ asking

function showError(message) {
  // A stale answer under an error would read as the answer to the question that failed.
  state.answer = null;
  $("result").hidden = true;
  setStatus(message, "error");
}

// POST /ask/stream: sources first, then each sentence as it is checked, then the whole answer.
async function askQuestion(question) {
  $("ask-button").disabled = true;
  const mode = !$("generate-option").hidden && $("generate").checked ? "generate" : "extractive";
  setStatus(mode === "generate" ? "Writing an answer from the documents…" : "Searching the documents…", "busy");
  try {
    const response = await fetch("/ask/stream", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({question, mode}),
    });
    if (response.ok) {
      await readEvents(response);
      return;
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 503 && !(await request("/ready")).ok) {
      state.waiting = question;
      watchUntilReady();
    } else {
      showError(data.detail || `The server answered ${response.status}.`);
    }
  } catch (err) {
    showError("Cannot reach the server. Check that it is running, then ask again.");
  } finally {
    $("ask-button").disabled = false;
  }
}

async function readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += value;
    const blocks = buffer.split(/\r?\n\r?\n/);
    buffer = blocks.pop();
    blocks.forEach(onEvent);
  }
  if (!state.answer) showError("The answer stopped before it was complete. Ask again.");
}

function onEvent(block) {
  let kind = "message", data = "";
  block.split(/\r?\n/).forEach((line) => {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trimStart();
  });
  if (!data) return;
  const payload = JSON.parse(data);
  if (kind === "citations") startAnswer(payload);
  else if (kind === "delta") {
    if ($("answer").childNodes.length) $("answer").append(" ");
    appendWithMarkers($("answer"), payload.text);
  } else if (kind === "done") {
    renderAnswer(payload);
    setStatus("");
  }
}

// The sources, shown while the answer is still being written.
function startAnswer(citations) {
  state.answer = null;
  $("answer").replaceChildren();
  $("answer").classList.remove("abstained");
  ["disagreement", "note"].forEach((id) => { $(id).hidden = true; });
  $("mode").textContent = "";
  $("confidence-value").textContent = "…";
  $("timing").textContent = "";
  $("sources-title").hidden = citations.length === 0;
  $("citations").replaceChildren(...citations.map(card));
  renderLegend(citations.length > 0);
  $("result").hidden = false;
}

function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) { showError("Type a question first."); return; }
  if (!state.ready) {
    state.waiting = question;
    setStatus("The index is still loading; your question will be asked as soon as it is ready.", "busy");
    watchUntilReady();
    return;
  }
  askQuestion(question);
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", ask);
  $("doc-close").addEventListener("click", () => { history.pushState(null, "", location.pathname); $("document").hidden = true; });
  window.addEventListener("hashchange", showDocument);
  watchUntilReady().then(showDocument);
});
