// /drafts: each draft's way to the ERP, live; "Invia" and "Invia tutte"; deleting a draft
// (a second click confirms). Placed drafts move to "Inviati".

import { api, pageConfig, postJson } from "./api.js";
import { formatDate, formatDateTime, formatTime, plural, t } from "./i18n.js";
import { renderSubmission } from "./submission_view.js";
import { showLocalTimes } from "./local_times.js";
import { Device } from "./device.js";
import { PendingState, isOffline } from "./device_drafts.js";

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
  // Subscribed (again): steps taken between the page's rendering, or a dropped stream, and now
  // were never heard.
  source.addEventListener("hello", refreshSoon);
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
    // The answer tells of the moment it was sent: a refresh heard of since may be newer.
    if (pending()) refreshSoon();
  } catch (error) {
    if (device && isOffline(error)) {
      for (const id of ids) {
        const draft = drafts.get(id);
        const display = { customerName: draft.customerName, customerCode: draft.customerCode, total: draft.totals && draft.totals.total,
          lines: draft.lines.map((l) => ({ productCode: l.productCode, description: l.description })) };
        await device.pending.queueSend(id, display);
      }
      await renderPending();
    } else {
      showError(t("common.error", { message: (error.body && error.body.error) || error.message }));
    }
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

// -- drafts waiting on the device ---------------------------------------------------------

const device = await Device.open();
const pendingList = document.getElementById("pending-list");

function button(action, label, className = "") {
  const element = document.createElement("button");
  element.type = "button";
  element.dataset.pendingAction = action;
  element.className = className;
  element.textContent = label;
  return element;
}

function pendingCard(item) {
  const card = document.createElement("li");
  card.className = "card draft pending-draft";
  card.dataset.pendingId = item.id;
  card.dataset.state = item.state;
  const head = document.createElement("div");
  head.className = "draft-head";
  const title = document.createElement("h2");
  const display = item.display || {};
  const customerCode = item.body ? item.body.customer_code : display.customerCode;
  title.textContent = display.customerName || customerCode;
  const code = document.createElement("span");
  code.className = "muted";
  code.textContent = ` ${customerCode || ""}`;
  title.append(code);
  const total = document.createElement("strong");
  total.textContent = display.total || "";
  head.append(title, total);
  const what = document.createElement("p");
  what.className = "muted";
  what.textContent = (display.lines || []).map((l) => `${l.productCode} ${l.description}`).join(" · ");
  const note = document.createElement("p");
  note.className = "submission";
  const actions = document.createElement("div");
  actions.className = "actions";
  if (item.state === PendingState.CONFLICT) {
    note.textContent = t("offline.conflict");
    note.classList.add("error");
    actions.append(button("keep-mine", t("offline.keep_mine"), "primary"), button("keep-theirs", t("offline.keep_theirs")));
  } else {
    note.textContent = item.state === PendingState.REFUSED
      ? t("offline.refused", { message: item.error })
      : item.send ? t("offline.queued_send") : t("offline.waiting");
    if (item.state === PendingState.REFUSED) note.classList.add("error");
    if (!item.send) actions.append(button("send", t("drafts.send"), "primary"));
    if (item.op !== "send") {
      const edit = document.createElement("a");
      edit.className = "button";
      edit.href = `/orders/new?draft=${encodeURIComponent(item.id)}`;
      edit.textContent = t("drafts.edit");
      actions.append(edit);
    }
    actions.append(button("delete", t("drafts.delete"), "danger"));
  }
  card.append(head, what, note, actions);
  return card;
}

async function renderPending() {
  if (!device) return;
  const items = await device.pending.all();
  pendingList.replaceChildren(...items.map(pendingCard));
  document.getElementById("pending-section").hidden = items.length === 0;
  document.getElementById("pending-total").textContent = `(${plural("drafts.count", items.length)})`;
  window.dispatchEvent(new Event("erpsync:pending"));
}

async function upload() {
  if (!device || !navigator.onLine) return;
  const outcome = await device.flush();
  if (outcome.uploaded.length || outcome.sent.length) {
    sentAt = Date.now();
    await refresh();
  }
  await renderPending();
}

pendingList.addEventListener("click", async (event) => {
  const target = event.target.closest("button[data-pending-action]");
  if (!target) return;
  const id = target.closest("[data-pending-id]").dataset.pendingId;
  const action = target.dataset.pendingAction;
  if (action === "send") await device.pending.markSend(id);
  if (action === "delete") await device.pending.remove(id);
  if (action === "keep-theirs") await device.pending.remove(id);
  if (action === "keep-mine") await device.pending.keepMine(id);
  await renderPending();
  if (action === "send" || action === "keep-mine") await upload();
});

window.addEventListener("online", upload);

render();
if (navigator.onLine) listen();
else window.addEventListener("online", listen, { once: true });
showLocalTimes();
await renderPending();
await upload();
