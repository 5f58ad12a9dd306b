"use strict";
// Every piece of document text goes into the page through textContent: quotes are data, never markup.

const $ = (id) => document.getElementById(id);
let tierRank = {};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setStatus(message, kind) {
  const status = $("status");
  status.replaceChildren();
  status.className = kind || "";
  if (kind === "busy") status.append(el("span", "spinner"), el("span", "", message));
  else if (message) status.append(el("span", "", message));
}

async function postJSON(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const field = data.extra && data.extra[0] && data.extra[0].key ? ` (${data.extra[0].key})` : "";
    throw new Error((data.detail || `The server answered ${response.status}.`) + field);
  }
  return data;
}

async function loadTiers() {
  try {
    const docs = await (await fetch("/documents")).json();
    docs.forEach((d) => { tierRank[d.evidence_tier] = d.evidence_rank; });
  } catch (e) { /* badges fall back to plain styling */ }
}

function renderAnswer(data) {
  const answer = $("answer");
  answer.replaceChildren();
  answer.classList.toggle("abstained", data.abstained);
  $("disagreement").hidden = !data.disagreement;
  if (data.disagreement) $("disagreement").textContent = "The sources disagree on " + data.disagreement.topics.join(" and ") + ": the strongest evidence is listed first.";
  if (data.abstained) {
    answer.textContent = "The documents don't answer this. " + data.answer;
  } else {
    data.citations.forEach((c, i) => {
      if (i) answer.append(" ");
      answer.append(c.quote, " ");
      const marker = el("a", "marker", `[${c.n}]`);
      marker.href = `#cite-${c.n}`;
      marker.addEventListener("click", (e) => { e.preventDefault(); focusCard(c.n); });
      answer.append(marker);
    });
    if (data.disagreement) answer.append(el("span", "note", data.disagreement.note));
  }
  $("confidence").textContent = `Confidence ${Math.round(data.confidence * 100)}%` +
    (data.timings_ms ? ` · ${Math.round(data.timings_ms.total)} ms` : "");
  const list = $("citations");
  list.replaceChildren();
  $("sources-title").hidden = data.citations.length === 0;
  data.citations.forEach((c) => list.append(card(c)));
  $("result").hidden = false;
}

function card(c) {
  const rank = tierRank[c.evidence_tier] ?? 9;
  const li = el("li", `card tier-${rank}`);
  li.id = `cite-${c.n}`;
  const head = el("div", "card-head");
  head.append(el("span", "num", `[${c.n}]`), el("span", "title", c.title));
  const badge = el("span", `badge tier-${rank}`, rank === 0 ? `${c.evidence_tier} · strongest evidence` : c.evidence_tier);
  head.append(badge, el("span", "badge", c.source_type));
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
    const response = await fetch(`/documents/${encodeURIComponent(id)}`);
    const doc = await response.json();
    if (!response.ok) throw new Error(doc.detail || "Document not found.");
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

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) { setStatus("Type a question first.", "error"); return; }
  $("ask-button").disabled = true;
  setStatus("Searching the documents…", "busy");
  try {
    renderAnswer(await postJSON("/ask", {question}));
    setStatus("");
  } catch (err) {
    setStatus(err.message, "error");
  } finally {
    $("ask-button").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", ask);
  $("doc-close").addEventListener("click", () => { history.pushState(null, "", location.pathname); $("document").hidden = true; });
  window.addEventListener("hashchange", showDocument);
  loadTiers().then(showDocument);
});
