// /orders/new: pick a customer, add lines, save drafts one after the other without leaving.

import { ApiError, api, getJson, pageConfig } from "./api.js";
import { Device } from "./device.js";
import { isOffline } from "./device_drafts.js";
import { FormSession, randomId } from "./form_session.js";
import { formatCents, plural, t } from "./i18n.js";
import { parseHundredths } from "./money.js";
import { OrderLines } from "./order_lines.js";
import { SearchPicker } from "./search_picker.js";
import { formatShortTime, showLocalTimes } from "./local_times.js";

const config = pageConfig();
const $ = (id) => document.getElementById(id);
// The agent's data on this device; null where the browser keeps none.
const device = await Device.open();

// The server when it answers, the device when it does not (or while offline).
async function serverOrDevice(online, offline) {
  if (device && !navigator.onLine) return offline();
  try {
    return await online();
  } catch (error) {
    if (device && isOffline(error) && !(error && error.name === "AbortError")) return offline();
    throw error;
  }
}

// Online too, the form searches on the device once it holds a slice: no request a keystroke, and
// instant on a weak signal. When the slice has caught up with the mirror in this visit (after the
// Smart Customer Sync), a search still shown runs again, so a customer created a moment ago
// appears; what the device finds nothing for is asked of the server. Prices come from the
// device only once it has caught up (a line keeps the price it got). Without a slice, the server
// answers.
let deviceCurrent = false;
const deviceHolds = Boolean(device && (await device.slice.age().catch(() => null)));

async function deviceOrServer(local, online) {
  if (!deviceCurrent && !deviceHolds) return serverOrDevice(online, local);
  let found = [];
  try {
    found = await local();
  } catch (error) {
    if (!navigator.onLine) throw error; // the device's store failed: the server answers
  }
  if (found.length || !navigator.onLine) return found;
  try {
    return await online();
  } catch (error) {
    if (isOffline(error) && !(error && error.name === "AbortError")) return found;
    throw error;
  }
}

const state = {
  customer: null,
  draftId: randomId(),
  editing: false,
  // the draft is one the server knows (a change of it names the revision it was made from)
  known: false,
  // the draft waits on the device: a change of it stays there until it is uploaded
  local: false,
  revision: null,
  saving: false,
  draftCount: config.draftCount || 0,
};

const lines = new OrderLines({
  body: $("line-rows"),
  emptyNote: $("lines-empty"),
  onChange: () => refreshTotals(),
});

function refreshTotals() {
  const { totals } = lines.evaluate();
  $("total-net").textContent = formatCents(totals.net);
  $("total-vat").textContent = formatCents(totals.vat);
  $("total-total").textContent = formatCents(totals.total);
}

function showError(text) {
  $("form-error").textContent = text || "";
  $("form-error").hidden = !text;
}

function setNotice(text, kind) {
  const notice = $("sync-notice");
  notice.textContent = text || "";
  notice.dataset.kind = kind || "";
  notice.hidden = !text;
}

// -- customer ---------------------------------------------------------------------------------

function chooseCustomer(customer) {
  customerPicker.cancel();
  state.customer = customer;
  $("customer-name").textContent = customer.name;
  const place = [customer.city, customer.province && `(${customer.province})`]
    .filter(Boolean)
    .join(" ");
  $("customer-details").textContent = [customer.code, place].filter(Boolean).join(" · ");
  $("customer-picker").hidden = true;
  $("customer-selected").hidden = false;
  $("customer-search").value = "";
  showError("");
}

function clearCustomer() {
  state.customer = null;
  $("customer-selected").hidden = true;
  $("customer-picker").hidden = false;
}

const customerPicker = new SearchPicker({
  input: $("customer-search"),
  list: $("customer-results"),
  emptyText: t("order.customer.none"),
  search: (q, signal) =>
    deviceOrServer(
      () => device.slice.customers(q),
      async () => (await getJson(`/api/customers?q=${encodeURIComponent(q)}`, { signal })).customers,
    ),
  describe: (c) => ({
    title: c.name,
    detail: [c.code, c.city && `${c.city}${c.province ? ` (${c.province})` : ""}`]
      .filter(Boolean)
      .join(" · "),
  }),
  onPick: chooseCustomer,
});

$("customer-change").addEventListener("click", () => {
  clearCustomer();
  $("customer-search").focus();
});

// -- products ---------------------------------------------------------------------------------

async function productWithPrice(code) {
  const online = () => getJson(`/api/products/${encodeURIComponent(code)}/prices`);
  if (deviceCurrent) {
    try {
      return await device.slice.productPrices(code);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404) || !navigator.onLine) throw error;
      return online(); // a product the device does not hold yet
    }
  }
  return serverOrDevice(online, () => device.slice.productPrices(code));
}

async function addProduct(product) {
  try {
    // The product as the answer has it: the one picked may come from the device's older copy.
    const { product: current, proposed } = await productWithPrice(product.code);
    const line = lines.add(current || product, {
      priceCents: proposed ? parseHundredths(proposed.unitPrice) : null,
      listCode: proposed && proposed.listCode,
    });
    $("product-search").value = "";
    line.qty.focus();
  } catch (error) {
    showError(t("order.error", { message: error.message }));
  }
}

const productPicker = new SearchPicker({
  input: $("product-search"),
  list: $("product-results"),
  emptyText: t("order.product.none"),
  search: (q, signal) =>
    deviceOrServer(
      () => device.slice.products(q),
      async () => (await getJson(`/api/products?q=${encodeURIComponent(q)}`, { signal })).products,
    ),
  describe: (p) => ({
    title: `${p.code} · ${p.description}`,
    detail: p.packageSize > 1 ? t("order.qty.package", { n: p.packageSize }) : "",
  }),
  onPick: addProduct,
});

// -- saving -----------------------------------------------------------------------------------

function updateDone() {
  $("done").textContent = plural("order.done", state.draftCount);
}

function resetForm() {
  clearCustomer();
  lines.clear();
  $("notes").value = "";
  state.draftId = randomId();
  state.editing = false;
  state.known = false;
  state.local = false;
  state.revision = null;
  $("form-title").textContent = t("order.title.new");
  if (location.search) history.replaceState(null, "", "/orders/new");
  $("customer-search").focus();
}

async function save() {
  if (state.saving) return;
  showError("");
  if (!state.customer) return showError(t("order.customer.required"));
  if (!lines.lines.length) return showError(t("order.lines.required"));
  if (!lines.evaluate().ok) return showError(t("order.invalid"));
  const body = {
    customer_code: state.customer.code,
    notes: $("notes").value,
    lines: lines.payload(),
  };
  const button = $("save-draft");
  state.saving = true;
  button.disabled = true;
  button.textContent = t("order.saving");
  try {
    state.draftCount = await store(body);
    $("banner").textContent = plural("order.saved", state.draftCount);
    $("banner").hidden = false;
    updateDone();
    resetForm();
  } catch (error) {
    const message = error instanceof ApiError ? error.message : String(error);
    showError(t("order.error", { message }));
  } finally {
    state.saving = false;
    button.disabled = false;
    button.textContent = t("order.save");
  }
}

// Saved on the server, or kept on the device to be uploaded when the signal returns; answers
// the banner's count (the server's drafts and the device's new ones).
async function store(body) {
  const keep = async () => {
    const display = {
      customerName: state.customer.name,
      lines: lines.lines.map((line) => ({ productCode: line.product.code, description: line.product.description })),
      total: $("total-total").textContent,
    };
    await device.pending.save(state.draftId, body, { known: state.known, revision: state.revision, display });
    window.dispatchEvent(new Event("erpsync:pending"));
    return device.draftCount(state.draftCount);
  };
  if (device && (state.local || !navigator.onLine)) return keep();
  try {
    const answer = state.editing
      ? await api("PUT", `/api/drafts/${encodeURIComponent(state.draftId)}`, {
          ...body,
          ...(state.revision ? { base_revision: state.revision } : {}),
        })
      : await api("POST", "/api/drafts", { id: state.draftId, ...body });
    if (device) await device.setServerDraftCount(answer.draftCount);
    return device ? device.draftCount(answer.draftCount) : answer.draftCount;
  } catch (error) {
    if (device && isOffline(error)) return keep();
    throw error;
  }
}

$("save-draft").addEventListener("click", save);

// -- editing a saved draft --------------------------------------------------------------------

async function readDraft(draftId) {
  const waiting = device && (await device.pending.get(draftId));
  if (waiting) {
    state.local = true;
    state.known = waiting.op !== "create";
    state.revision = waiting.revision;
    return { id: draftId, customerCode: waiting.body.customer_code, customerName: waiting.display.customerName,
      notes: waiting.body.notes, lines: waiting.body.lines.map((l) => ({ productCode: l.product_code,
        qty: l.qty, unitPrice: l.unit_price, discount: l.discount })), submission: null };
  }
  const draft = await getJson(`/api/drafts/${encodeURIComponent(draftId)}`);
  state.known = true;
  state.revision = draft.revision ?? null;
  return draft;
}

async function loadDraft(draftId) {
  try {
    const draft = await readDraft(draftId);
    const submission = draft.submission;
    if (submission && ["queued", "sending", "placed"].includes(submission.state)) {
      // On its way to the ERP, or an ERP order: it can no longer change here.
      showError(
        submission.state === "placed"
          ? t("order.draft_placed", { number: submission.erpNumber })
          : t("order.draft_sending"),
      );
      $("save-draft").disabled = true;
      return;
    }
    state.draftId = draft.id;
    state.editing = true;
    $("form-title").textContent = t("order.title.edit");
    chooseCustomer({ code: draft.customerCode, name: draft.customerName });
    $("notes").value = draft.notes;
    const products = await Promise.all(draft.lines.map((l) => productWithPrice(l.productCode)));
    draft.lines.forEach((line, index) => {
      const { product, proposed } = products[index];
      lines.add(product, {
        qty: line.qty,
        priceCents: parseHundredths(line.unitPrice),
        discount: line.discount,
        listCode: proposed && proposed.listCode,
      });
    });
  } catch (error) {
    const missing = error instanceof ApiError && error.status === 404;
    showError(missing ? t("order.draft_missing") : t("order.error", { message: error.message }));
  }
}

// -- starting from the customer's card: a customer chosen, or a past order repeated --------

function applyPrefill(prefill) {
  chooseCustomer(prefill.customer);
  const notes = [];
  if (prefill.orderNumber) notes.push(t("order.prefill.repeated", { number: prefill.orderNumber }));
  for (const line of prefill.lines) {
    lines.add(line.product, {
      qty: line.qty,
      priceCents: line.price ? parseHundredths(line.price.unitPrice) : null,
      discount: line.discount,
      listCode: line.price && line.price.listCode,
    });
    const code = line.product.code;
    if (line.notes.includes("qty_raised")) notes.push(t("order.prefill.qty_raised", { code, qty: line.qty }));
    if (line.notes.includes("no_price")) notes.push(t("order.prefill.no_price", { code }));
  }
  if (prefill.dropped.length) notes.push(t("order.prefill.dropped", { codes: prefill.dropped.join(", ") }));
  $("banner").textContent = notes.join(" ");
  $("banner").hidden = notes.length === 0;
}

// -- the session: smart sync, heartbeat, goodbye ----------------------------------------------

const session = new FormSession({
  heartbeatS: config.heartbeatS,
  activityS: config.activityS,
  onSyncStart: () => {
    document.body.dataset.smartSync = "running";
    setNotice(t("order.smart_sync.running"), "running");
  },
  onSyncEnd: (answer, error) => {
    const status = error ? "failed" : answer.result.status;
    document.body.dataset.smartSync = status === "completed" ? "done" : status;
    if (status === "timed_out") {
      setNotice(t("order.smart_sync.timed_out"), "failed");
    } else if (status !== "completed") {
      setNotice(t("order.smart_sync.failed"), "failed");
    } else {
      setNotice("", "");
    }
    if (!error) catchUp();
  },
  onDropped: () => {
    document.body.dataset.smartSync = "dropped";
    setNotice(t("order.session.dropped"), "dropped");
  },
});

$("done").addEventListener("click", async () => {
  $("done").disabled = true;
  if (session.started) await session.finish();
  location.assign("/drafts");
});

// -- without signal: the device's data, drafts kept here; caught up when the signal returns ----

async function showDeviceData() {
  const at = device && (await device.slice.age());
  $("device-data").textContent = at ? t("offline.data_at", { at: formatShortTime(at) }) : t("offline.no_data");
  $("device-data").hidden = false;
}

let catchingUp = null;
// After the Smart Customer Sync: the device's slice brought up to date, then what waits here
// uploaded in order.
function catchUp() {
  if (!device || catchingUp) return catchingUp;
  catchingUp = (async () => {
    if (await device.refresh()) {
      deviceCurrent = true;
      document.body.dataset.deviceData = "current";
      customerPicker.refresh();
      productPicker.refresh();
    }
    const outcome = await device.flush();
    if (outcome.uploaded.length || outcome.conflicts.length || outcome.refused.length) {
      state.draftCount = await device.draftCount(state.draftCount);
      updateDone();
      window.dispatchEvent(new Event("erpsync:pending"));
    }
    await showDeviceData();
  })().finally(() => {
    catchingUp = null;
  });
  return catchingUp;
}

function wentOffline() {
  document.body.dataset.network = "offline";
  setNotice(t("offline.form_notice"), "offline");
  showDeviceData();
}

// Back online with the form open: the form's session (pausing the other syncs) and the Smart
// Customer Sync, then the catch-up.
function cameOnline() {
  document.body.dataset.network = "online";
  if (!session.started) startSession();
  else session.register();
}

function startSession() {
  session.started = true;
  session.start();
}

window.addEventListener("offline", wentOffline);
window.addEventListener("online", cameOnline);
// While the form stays open online, the device's slice follows the mirror in the background.
const BACKGROUND_REFRESH_MS = 5 * 60 * 1000;
setInterval(() => navigator.onLine && device && catchUp(), BACKGROUND_REFRESH_MS);

// Signing out ends the session first: the goodbye beacon would go out already signed out.
const logout = document.querySelector("form.logout");
logout?.addEventListener("submit", async (event) => {
  if (session.closed || !session.started) return;
  event.preventDefault();
  await session.finish();
  logout.submit();
});

if (device && navigator.onLine) await device.setServerDraftCount(state.draftCount);
if (device) state.draftCount = await device.draftCount(state.draftCount);
updateDone();
refreshTotals();
if (navigator.onLine || !device) startSession();
else wentOffline();
const editing = config.editDraftId || new URLSearchParams(location.search).get("draft");
if (editing) loadDraft(editing);
else if (config.prefill) applyPrefill(config.prefill);
else if (config.prefillMissing) showError(t(`order.prefill.${config.prefillMissing}_missing`));
showLocalTimes();
