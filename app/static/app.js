// memnn's evidence page: talks only to the public REST API.
"use strict";

const $ = (id) => document.getElementById(id);
let pickedIds = new Set();

function bank() {
  return $("bank").value.trim() || "default";
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = $("api-key").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let payload = null;
  try {
    payload = await response.json();
  } catch (_) {
    payload = null;
  }
  if (!response.ok) {
    const detail = payload && payload.detail ? payload.detail : `${response.status} ${response.statusText}`;
    throw new Error(`${method} ${path.split("?")[0]} failed (${response.status}): ${detail}`);
  }
  return payload;
}

function showError(error) {
  $("error").textContent = error.message || String(error);
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

async function guarded(action) {
  clearError();
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function loadBanks() {
  const list = $("bank-list");
  list.replaceChildren();
  const { banks } = await api("GET", "/banks");
  for (const b of banks) {
    const option = element("option");
    option.value = b.name;
    option.label = `${b.name} (${b.memories})`;
    list.append(option);
  }
}

async function loadMemories() {
  const list = $("memories");
  const rows = [];
  let cursor = null;
  try {
    do {
      const query = new URLSearchParams({ bank: bank(), limit: "500" });
      if (cursor) query.set("cursor", cursor);
      const page = await api("GET", `/memories?${query}`);
      rows.push(...page.memories);
      cursor = page.next_cursor;
    } while (cursor);
  } catch (error) {
    list.replaceChildren();
    $("memory-count").textContent = "";
    if (String(error.message).includes("(404)")) return; // a new bank: nothing stored yet
    throw error;
  }
  list.replaceChildren(
    ...rows.map((memory) => {
      const item = element("li");
      item.dataset.testid = "memory";
      item.dataset.id = memory.id;
      if (pickedIds.has(memory.id)) item.classList.add("picked");
      item.append(element("span", "position", `#${memory.position}`), element("span", "text", memory.text));
      const forget = element("button", "quiet", "Forget");
      forget.type = "button";
      forget.setAttribute("aria-label", `Forget: ${memory.text}`);
      forget.addEventListener("click", () =>
        guarded(async () => {
          await api("DELETE", `/memories/${memory.id}`);
          await loadMemories();
          await loadBanks();
        }),
      );
      item.append(forget);
      return item;
    }),
  );
  $("memory-count").textContent = `(${rows.length})`;
}

async function addStatements() {
  const raw = $("statements").value.trim();
  if (!raw) throw new Error("Type at least one statement to add.");
  const lines = raw.split(/\n+/).map((line) => line.trim()).filter(Boolean);
  const body = lines.length > 1 ? { bank: bank(), statements: lines } : { bank: bank(), text: lines[0] };
  await api("POST", "/memories", body);
  $("statements").value = "";
  await loadMemories();
  await loadBanks();
}

function bar(score, low, high) {
  const outer = element("span", "bar");
  const inner = element("span");
  const share = high > low ? (score - low) / (high - low) : 1;
  inner.style.width = `${Math.round(8 + 92 * Math.max(0, Math.min(1, share)))}%`;
  outer.append(inner);
  outer.setAttribute("aria-hidden", "true");
  return outer;
}

function renderAnswer(result) {
  $("answer").textContent = result.answer;
  $("answer-score").textContent = `score ${result.score.toFixed(2)}`;
  $("alternatives").textContent =
    result.alternatives.map((a) => `${a.answer} (${a.score.toFixed(2)})`).join(", ") || "none";
  const hops = $("hops");
  hops.replaceChildren();
  const considered = new Map((result.hops || []).map((h) => [h.hop, h]));
  for (const evidence of result.evidence) {
    const item = element("li");
    const chosen = element("p", "evidence");
    chosen.dataset.testid = "evidence";
    chosen.append(
      element("strong", "", `Hop ${evidence.hop}: `),
      document.createTextNode(evidence.text),
      element("span", "score", `  #${evidence.position}, score ${evidence.score.toFixed(2)}`),
    );
    item.append(chosen);
    const hop = considered.get(evidence.hop);
    if (hop) {
      const scores = hop.candidates.map((c) => c.score).concat([hop.stop_score]);
      const low = Math.min(...scores);
      const high = Math.max(...scores);
      const runners = element("ul", "runners");
      runners.setAttribute("aria-label", `Candidates at hop ${evidence.hop}`);
      for (const candidate of hop.candidates) {
        const row = element("li", candidate.chosen ? "chosen" : "");
        row.append(element("span", "", candidate.text), bar(candidate.score, low, high),
          element("span", "score", candidate.score.toFixed(2)));
        runners.append(row);
      }
      const stop = element("li");
      stop.append(element("span", "", "STOP (no further hop)"), bar(hop.stop_score, low, high),
        element("span", "score", hop.stop_score.toFixed(2)));
      runners.append(stop);
      item.append(runners);
    }
    hops.append(item);
  }
  $("result").hidden = false;
  pickedIds = new Set(result.evidence.map((e) => e.id));
  for (const item of document.querySelectorAll("#memories li")) {
    item.classList.toggle("picked", pickedIds.has(Number(item.dataset.id)));
  }
}

async function ask() {
  const question = $("question").value.trim();
  if (!question) throw new Error("Type a question first.");
  $("result").hidden = true;
  const result = await api("POST", "/ask", { bank: bank(), question, explain: true });
  renderAnswer(result);
}

async function loadModel() {
  const model = await api("GET", "/model");
  $("model-summary").textContent =
    `${model.name}, version ${model.version}: ${model.vocabulary_size} words, up to ${model.max_hops} hops.`;
  const test = model.test_accuracy;
  if (!test || !test.tasks) return;
  $("model-summary").textContent +=
    ` bAbI test: mean ${(100 * test.mean_accuracy).toFixed(1)}%, ${test.passed} of ${test.tasks.length} tasks passed.`;
  const body = $("model-table").querySelector("tbody");
  body.replaceChildren(
    ...test.tasks.map((t) => {
      const row = element("tr");
      row.append(element("td", "", String(t.task)), element("td", "", t.name),
        element("td", "", `${(100 * t.accuracy).toFixed(1)}%`));
      return row;
    }),
  );
  $("model-table").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  $("add").addEventListener("click", () => guarded(addStatements));
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(ask);
  });
  $("load").addEventListener("click", () => guarded(loadMemories));
  $("bank").addEventListener("change", () => {
    pickedIds = new Set();
    $("result").hidden = true;
    guarded(loadMemories);
  });
  guarded(async () => {
    await loadModel();
    await loadBanks();
    await loadMemories();
  });
});
