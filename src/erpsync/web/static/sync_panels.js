// The panels of /sync drawn from the API's documents: types, current sync, queue, orders on
// their way to the ERP, smart sync, schedule and the timeline of runs.

import { formatDateTime, formatNumber, formatTime, t } from "./i18n.js";
import { drawTimeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
export const TIMELINE_HOURS = 3;

export const typeName = (type) => t(`sync.type.${type}`);

function el(name, text, className) {
  const element = document.createElement(name);
  if (text != null) element.textContent = text;
  if (className) element.className = className;
  return element;
}

export function message(text) {
  $("dashboard-message").textContent = text || "";
  $("dashboard-message").hidden = !text;
}

// -- rendering --------------------------------------------------------------------------------

function healthText(health) {
  if (!health) return t("sync.health.unknown");
  if (health.hung) return t("sync.health.hung");
  if (health.consecutiveFailures > 0) return t("sync.health.failing", { n: health.consecutiveFailures });
  if (health.stale) return t("sync.health.stale");
  return health.lastSuccess ? t("sync.health.ok") : t("sync.health.unknown");
}

function lastRunText(run) {
  if (!run) return t("sync.never");
  return t("sync.run.summary", {
    at: formatTime(run.finishedAt || run.startedAt),
    fetched: formatNumber(run.counts.fetched),
    duration: formatNumber(run.durationS ?? 0, 2),
  });
}

function triggerButton(type, mode, label) {
  const button = el("button", label, mode === "full" ? "secondary" : "");
  button.type = "button";
  button.dataset.trigger = type;
  button.dataset.mode = mode;
  return button;
}

function renderTypes(status) {
  const rows = status.types.map((entry) => {
    const row = el("tr");
    row.dataset.type = entry.type;
    const state = el("span", t(`sync.status.${entry.status}`), `pill status-${entry.status}`);
    state.dataset.status = entry.status;
    const health = el("span", healthText(entry.health), entry.health.healthy ? "ok" : "bad");
    const cells = [
      el("td", typeName(entry.type)),
      el("td"),
      el("td"),
      el("td", lastRunText(entry.lastRun)),
      el("td", formatTime(entry.nextRun)),
      el("td", null, "actions"),
    ];
    cells[1].append(state);
    cells[2].append(health);
    cells[5].append(
      triggerButton(entry.type, "incremental", t("sync.trigger")),
      triggerButton(entry.type, "full", t("sync.trigger_full")),
    );
    row.append(...cells);
    return row;
  });
  $("type-rows").replaceChildren(...rows);
}

function renderOverall(status) {
  const overall = $("overall");
  const health = status.health;
  overall.className = `pill ${health.healthy ? "ok" : "bad"}`;
  overall.textContent = !health.erpReachable
    ? t("sync.overall.unreachable")
    : t(health.healthy ? "sync.overall.healthy" : "sync.overall.unhealthy");
}

function renderCurrent(status) {
  const current = status.current;
  const progress = $("current-progress");
  if (!current) {
    $("current-detail").textContent = t("sync.current.none");
    progress.hidden = true;
    return;
  }
  let text = t("sync.current.detail", {
    type: typeName(current.type),
    mode: t(`sync.mode.${current.mode}`),
    fetched: formatNumber(current.fetched),
    pages: current.pages,
  });
  if (current.overdue) text += ` · ${t("sync.current.overdue")}`;
  if (current.stopping) {
    text += ` · ${t("sync.current.stopping", { reason: t(`sync.yield.${current.stopping}`) })}`;
  }
  $("current-detail").textContent = text;
  progress.hidden = false;
  progress.classList.toggle("indeterminate", current.progress == null);
  $("current-bar").style.width = `${Math.round((current.progress ?? 0.3) * 100)}%`;
}

// The first start's loading of the empty types: shown from its start, hidden when none ran.
function renderHydration(status) {
  const hydration = status.hydration;
  $("hydration").hidden = !hydration;
  if (!hydration) return;
  const counts = { done: hydration.done, total: hydration.total };
  $("hydration-summary").textContent = hydration.active
    ? t("sync.hydration.progress", counts)
    : t("sync.hydration.ended", { ...counts, at: formatTime(hydration.endedAt) });
  const items = hydration.types.map((entry) => {
    const item = el("li");
    item.dataset.type = entry.type;
    item.dataset.state = entry.state;
    item.append(
      el("strong", typeName(entry.type)),
      " — ",
      el("span", t(`sync.hydration.state.${entry.state}`), "reason"),
    );
    return item;
  });
  $("hydration-types").replaceChildren(...items);
}

function reasonText(entry) {
  return t(`sync.queue.reason.${entry.reason}`, { type: entry.behind ? typeName(entry.behind) : "" });
}

function renderQueue(status) {
  const items = status.queue.map((entry) => {
    const item = el("li");
    item.dataset.type = entry.type;
    item.append(
      el("strong", typeName(entry.type)),
      " ",
      el("span", `(${t(`sync.mode.${entry.mode}`)})`, "muted"),
      " — ",
      el("span", reasonText(entry), "reason"),
    );
    return item;
  });
  $("queue-list").replaceChildren(...items);
  $("queue-empty").hidden = items.length > 0;
}

function orderText(order) {
  const parts = [order.sendingSince ? t("sync.orders.sending") : t("sync.orders.waiting")];
  if (order.attempts > 1) parts.push(t("sync.orders.attempts", { count: order.attempts }));
  if (order.nextAttemptAt) parts.push(t("sync.orders.retry", { at: formatTime(order.nextAttemptAt) }));
  if (order.lastError) parts.push(order.lastError);
  return parts.join(" · ");
}

function renderOrders(status) {
  const orders = status.orders;
  $("orders-today").textContent = t("sync.orders.today", {
    placed: orders.placedToday,
    rejected: orders.rejectedToday,
  });
  const items = orders.queue.map((order) => {
    const item = el("li");
    item.dataset.state = order.sendingSince ? "sending" : "queued";
    const who = order.customerCode
      ? [order.customerCode, order.agentCode].filter(Boolean).join(" · ")
      : t("sync.orders.other_agent");
    item.append(el("strong", who), " — ", el("span", orderText(order), "reason"));
    return item;
  });
  $("orders-list").replaceChildren(...items);
  $("orders-empty").hidden = items.length > 0;
}

function renderSmart(status) {
  const smart = status.smartSync;
  $("smart-sessions").textContent = String(smart.activeSessions);
  $("smart-paused").textContent = t(smart.syncsPaused ? "common.yes" : "common.no");
  $("smart-paused").dataset.paused = String(smart.syncsPaused);
  $("smart-timeout").textContent = smart.safetyTimeoutActive
    ? t("sync.smart.timeout_at", { at: formatTime(smart.safetyTimeoutAt), seconds: smart.safetyTimeoutS })
    : t("sync.smart.timeout_off");
  const last = smart.lastResult;
  $("smart-last").textContent = last
    ? `${formatTime(last.finishedAt)} · ${t("sync.smart.last_detail", {
        fetched: last.fetched,
        inserted: last.inserted,
        updated: last.updated,
        duration: formatNumber(last.durationS, 2),
      })}`
    : t("sync.smart.never");
}

function scheduleInput(name, min) {
  const input = el("input");
  input.type = "number";
  input.name = name;
  input.min = String(min);
  input.step = "any";
  input.setAttribute("aria-label", t(`sync.schedule.${name}`));
  return input;
}

const SCHEDULE_FIELDS = [
  ["priority", "priority", 1],
  ["interval", "intervalMinutes", 0.1],
  ["offset", "offsetMinutes", 0],
];

function scheduleRow(type, isAdmin) {
  const row = el("tr");
  row.dataset.type = type;
  row.append(el("td", typeName(type)));
  for (const [name, , min] of SCHEDULE_FIELDS) {
    const td = el("td", null, "num");
    td.dataset.field = name;
    if (isAdmin) td.append(scheduleInput(name, min));
    row.append(td);
  }
  const next = el("td");
  next.dataset.field = "next";
  row.append(next);
  if (isAdmin) {
    const td = el("td");
    const button = el("button", t("sync.schedule.save"));
    button.type = "button";
    button.dataset.save = type;
    td.append(button);
    row.append(td);
  }
  return row;
}

// The schedule table; an admin gets inputs. Rows are kept and updated in place, so a live refresh
// never takes the input being typed in away; rows in `editing`, or with an input in focus, keep
// what is in them.
export function renderSchedule(schedule, { isAdmin, editing }) {
  const body = $("schedule-rows");
  const types = schedule.types.map((entry) => entry.type);
  const shown = [...body.children].map((row) => row.dataset.type);
  // A new priority reorders the rows, but not under an admin typing (that would take the input
  // away): the order then catches up at the next refresh with nobody typing.
  const focused = document.activeElement;
  const inInput = focused?.tagName === "INPUT" && body.contains(focused);
  const typingSomewhere = editing.size > 0 || inInput;
  const sameTypes = shown.length === types.length && types.every((type) => shown.includes(type));
  const rebuild = !sameTypes || (shown.join() !== types.join() && !typingSomewhere);
  if (rebuild) body.replaceChildren(...types.map((type) => scheduleRow(type, isAdmin)));
  for (const entry of schedule.types) {
    const row = body.querySelector(`tr[data-type='${entry.type}']`);
    const typing = !rebuild && (editing.has(entry.type) || (inInput && row.contains(focused)));
    for (const [name, key] of SCHEDULE_FIELDS) {
      const cell = row.querySelector(`td[data-field='${name}']`);
      if (!isAdmin) {
        cell.textContent = name === "priority" ? String(entry[key]) : formatNumber(entry[key], 1);
      } else if (!typing) {
        cell.querySelector("input").value = String(entry[key]);
      }
    }
    row.querySelector("td[data-field='next']").textContent = formatDateTime(entry.nextRun);
  }
}

export function renderTimeline(status, runs) {
  $("timeline-title").textContent = t("sync.timeline.title", { hours: TIMELINE_HOURS });
  const types = status ? status.types.map((entry) => entry.type) : [];
  drawTimeline($("timeline-chart"), {
    runs,
    types,
    now: new Date(),
    hours: TIMELINE_HOURS,
    label: typeName,
    tick: (date) => formatTime(date.toISOString()).slice(0, 5),
    tooltip: (run) =>
      t("sync.run.tooltip", {
        type: typeName(run.type),
        status: t(`sync.status.${run.status}`),
        mode: t(`sync.mode.${run.mode}`),
        start: formatTime(run.startedAt),
        end: formatTime(run.finishedAt),
        fetched: formatNumber(run.counts.fetched),
      }),
  });
}

export function renderStatus(status) {
  renderOverall(status);
  renderTypes(status);
  renderCurrent(status);
  renderHydration(status);
  renderQueue(status);
  renderOrders(status);
  renderSmart(status);
}
