// /drafts: each draft's way to the ERP, live; "Invia" and "Invia tutte"; deleting a draft
// (a second click confirms). Placed drafts move to "Inviati".

import { api, pageConfig, postJson } from "./api.js";
import { formatDate, formatDateTime, formatTime, plural, t } from "./i18n.js";
import { renderSubmission } from "./submission_view.js";
import { showLocalTimes } from "./local_times.js";

const drafts = new Map(pageConfig().drafts.map((draft) => [draft.id, draft]));
const list = document.getElementById("draft-list");
const sent = document.getElementById("sent-list");
const sendAll = document.getElementById("send-all");
const STEPS = ["submission_queued", "submission_started", "order_placed", "order_rejected", "submission_retried"];
const POLL_MS = 5000;
// After a send the page keeps looking this long, whatever it last heard.
const FOLLOW_MS = 30000;
let changes = 0; // local changes: a refresh begun before one is out of date
let sentAt = 0;

for (const stamp of document.querySelectorAll("[data-timestamp]")) {
  stamp.textContent = t("drafts.updated", { at: formatDateTime(stamp.dataset.timestamp) });
}

function showError(text) {
  const box = document.getElementById("drafts-error");
  box.textContent = text || "";
  box.hidden = !text;
}

const stateOf = (draft) => (draft.submission ? draft.submission.state : null);

// May go to the ERP now (the server says: never sent, or refused and changed since).
const sendable = (draft) => draft.sendable === true;

const pending = () => [...drafts.values()].some((d) => ["queued", "sending"].includes(stateOf(d)));

function renderCard(card, draft) {
  const state = stateOf(draft);
  card.dataset.state = state || "draft";
  renderSubmission(card.querySelector("[data-role='submission']"), draft, { formatDate, formatTime, formatDateTime, t });
  const live = state === "queued" || state === "sending" || state === "placed";
  card.querySelector("[data-action='send']").hidden = !sendable(draft);
  card.querySelector("[data-action='edit']").hidden = live;
  card.querySelector("[data-action='delete']").hidden = live;
  const home = state === "placed" ? sent : list;
  if (card.parentElement !== home) home.prepend(card);
}

function render() {
  for (const card of document.querySelectorAll("[data-draft-id]")) {
    const draft = drafts.get(card.dataset.draftId);
    if (draft) renderCard(card, draft);
    else card.remove();
  }
  const unsent = [...drafts.values()].filter((d) => stateOf(d) !== "placed");
  const ready = unsent.filter(sendable);
  sendAll.hidden = ready.length === 0;
  sendAll.textContent = t("drafts.send_all", { count: ready.length });
  document.getElementById("draft-count").textContent = `(${plural("drafts.count", unsent.length)})`;
  document.getElementById("drafts-empty").hidden = unsent.length > 0;
  document.getElementById("sent-empty").hidden = unsent.length < drafts.size;
}

async function refresh() {
  const before = changes;
  try {
    const answer = await api("GET", "/api/drafts");
    if (changes !== before) return; // a send or a delete since: its answer is newer
    drafts.clear();
    for (const draft of answer.drafts) drafts.set(draft.id, draft);
    render();
  } catch (error) {
    showError(t("common.error", { message: error.message }));
  }
}

let refreshing = null;
function refreshSoon() {
  if (refreshing) return;
  refreshing = setTimeout(() => {
    refreshing = null;
    refresh();
  }, 150);
}

function listen() {
  const source = new EventSource("/api/sync/events");
  const mine = (event) => {
    try {
      return JSON.parse(event.data).mine === true;
    } catch {
      return false;
    }
  };
  for (const name of STEPS) source.addEventListener(name, (event) => mine(event) && refreshSoon());
  // Another replica sent it, or steps were missed: look again while something is on its way.
  source.addEventListener("resync", () => pending() && refreshSoon());
  window.addEventListener("pagehide", () => source.close());
  // With a weak signal the stream may drop without a word: poll while orders are on their way.
  setInterval(() => (pending() || Date.now() - sentAt < FOLLOW_MS) && refresh(), POLL_MS);
}

function sentOne(item) {
  const draft = drafts.get(item.draftId);
  if (!draft) return;
  if (item.submission) {
    draft.submission = item.submission;
    draft.sendable = false;
  }
  if (item.error) showError(item.error);
}

async function send(ids, button) {
  button.disabled = true;
  showError("");
  changes += 1;
  sentAt = Date.now();
  try {
    if (ids.length === 1) {
      const draft = await postJson(`/api/drafts/${encodeURIComponent(ids[0])}/submit`, {});
      drafts.set(draft.id, draft);
    } else {
      const answer = await postJson("/api/drafts/submit", { ids });
      answer.sent.forEach(sentOne);
    }
    render();
  } catch (error) {
    showError(t("common.error", { message: (error.body && error.body.error) || error.message }));
  } finally {
    button.disabled = false;
  }
}

async function remove(card, button) {
  if (button.dataset.armed !== "true") {
    button.dataset.armed = "true";
    button.textContent = t("drafts.delete_confirm");
    return;
  }
  button.disabled = true;
  try {
    await api("DELETE", `/api/drafts/${encodeURIComponent(card.dataset.draftId)}`);
    changes += 1;
    drafts.delete(card.dataset.draftId);
    card.remove();
    render();
    showError("");
  } catch (error) {
    button.disabled = false;
    showError(t("common.error", { message: error.message }));
  }
}

document.querySelector("section.drafts").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const card = button.closest("[data-draft-id]");
  if (button.dataset.action === "send") send([card.dataset.draftId], button);
  if (button.dataset.action === "delete") remove(card, button);
});

sendAll.addEventListener("click", () => {
  const ids = [...drafts.values()].filter((d) => stateOf(d) !== "placed" && sendable(d)).map((d) => d.id);
  if (ids.length) send(ids, sendAll);
});

render();
listen();
showLocalTimes();
