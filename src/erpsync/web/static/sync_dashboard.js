// /sync: the operations dashboard, kept live by the server's event stream.

import { api, getJson, pageConfig, postJson } from "./api.js";
import { t } from "./i18n.js";
import { message, renderSchedule, renderStatus, renderTimeline, typeName } from "./sync_panels.js";

const config = pageConfig();
const $ = (id) => document.getElementById(id);
const REFRESH_MS = 250;
// The server names its events (every coordination step) and those that change the run history.
const EVENTS = ["hello", ...config.events];
const RUN_EVENTS = new Set(["hello", ...config.runEvents]);

let status = null;
let schedule = null;
let runs = [];
// Schedule rows the admin is changing: a live refresh keeps what they typed.
const editing = new Set();

// -- loading, live ----------------------------------------------------------------------------

async function loadStatus() {
  status = await getJson("/api/sync/status");
  renderStatus(status);
  renderTimeline(status, runs);
}

async function loadRuns() {
  runs = (await getJson("/api/sync/runs?limit=300")).runs;
  if (status) renderTimeline(status, runs);
}

async function loadSchedule() {
  schedule = await getJson("/api/sync/schedule");
  renderSchedule(schedule, { isAdmin: config.isAdmin, editing });
}

// At most one status reload per REFRESH_MS, and always one after the last event.
let pending = null;
let again = false;
function refreshSoon() {
  if (pending) {
    again = true;
    return;
  }
  pending = setTimeout(async () => {
    try {
      await loadStatus();
    } catch (error) {
      message(t("common.error", { message: error.message }));
    } finally {
      pending = null;
      if (again) {
        again = false;
        refreshSoon();
      }
    }
  }, REFRESH_MS);
}

function listen() {
  const live = $("live");
  const source = new EventSource("/api/sync/events");
  source.addEventListener("open", () => {
    live.dataset.state = "live";
    live.textContent = t("sync.live");
  });
  source.addEventListener("error", () => {
    live.dataset.state = "offline";
    live.textContent = t("sync.offline");
  });
  for (const name of EVENTS) {
    source.addEventListener(name, () => {
      refreshSoon();
      if (RUN_EVENTS.has(name)) loadRuns().catch(() => {});
      if (name === "schedule_changed" || name === "hello") loadSchedule().catch(() => {});
    });
  }
  window.addEventListener("pagehide", () => source.close());
}

// -- commands ---------------------------------------------------------------------------------

$("type-rows").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-trigger]");
  if (!button) return;
  const type = button.dataset.trigger;
  try {
    const answer = await postJson(`/api/sync/${type}`, { mode: button.dataset.mode });
    message(t(`sync.triggered.${answer.outcome}`, { type: typeName(type), position: answer.position }));
  } catch (error) {
    message(t("common.error", { message: error.message }));
  }
});

$("trigger-all").addEventListener("click", async () => {
  try {
    await postJson("/api/sync/all", {});
    refreshSoon();
  } catch (error) {
    message(t("common.error", { message: error.message }));
  }
});

$("schedule-rows").addEventListener("input", (event) => {
  const row = event.target.closest("tr[data-type]");
  if (row) editing.add(row.dataset.type);
});

$("schedule-rows").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-save]");
  if (!button) return;
  const row = button.closest("tr");
  const value = (name) => Number(row.querySelector(`input[name='${name}']`).value);
  const type = button.dataset.save;
  try {
    await api("PUT", `/api/sync/schedule/${type}`, {
      priority: value("priority"),
      interval_minutes: value("interval"),
      offset_minutes: value("offset"),
    });
    editing.delete(type);
    message(t("sync.schedule.saved", { type: typeName(type) }));
    await loadSchedule();
  } catch (error) {
    message(t("common.error", { message: error.message }));
  }
});

async function start() {
  try {
    await Promise.all([loadStatus(), loadSchedule(), loadRuns()]);
  } catch (error) {
    message(t("common.error", { message: error.message }));
  }
  listen();
  setInterval(() => {
    if (status) renderTimeline(status, runs);
  }, 30000);
}

start();
