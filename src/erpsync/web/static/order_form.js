// /orders/new: pick a customer, add lines, save drafts one after the other without leaving.

import { ApiError, api, getJson, pageConfig } from "./api.js";
import { FormSession, randomId } from "./form_session.js";
import { formatCents, plural, t } from "./i18n.js";
import { parseHundredths } from "./money.js";
import { OrderLines } from "./order_lines.js";
import { SearchPicker } from "./search_picker.js";
import { showLocalTimes } from "./local_times.js";

const config = pageConfig();
const $ = (id) => document.getElementById(id);

const state = {
  customer: null,
  draftId: randomId(),
  editing: false,
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

new SearchPicker({
  input: $("customer-search"),
  list: $("customer-results"),
  emptyText: t("order.customer.none"),
  search: async (q, signal) =>
    (await getJson(`/api/customers?q=${encodeURIComponent(q)}`, { signal })).customers,
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
  return getJson(`/api/products/${encodeURIComponent(code)}/prices`);
}

async function addProduct(product) {
  try {
    const { proposed } = await productWithPrice(product.code);
    const line = lines.add(product, {
      priceCents: proposed ? parseHundredths(proposed.unitPrice) : null,
      listCode: proposed && proposed.listCode,
    });
    $("product-search").value = "";
    line.qty.focus();
  } catch (error) {
    showError(t("order.error", { message: error.message }));
  }
}

new SearchPicker({
  input: $("product-search"),
  list: $("product-results"),
  emptyText: t("order.product.none"),
  search: async (q, signal) =>
    (await getJson(`/api/products?q=${encodeURIComponent(q)}`, { signal })).products,
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
    const answer = state.editing
      ? await api("PUT", `/api/drafts/${encodeURIComponent(state.draftId)}`, body)
      : await api("POST", "/api/drafts", { id: state.draftId, ...body });
    state.draftCount = answer.draftCount;
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

$("save-draft").addEventListener("click", save);

// -- editing a saved draft --------------------------------------------------------------------

async function loadDraft(draftId) {
  try {
    const draft = await getJson(`/api/drafts/${encodeURIComponent(draftId)}`);
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
  },
  onDropped: () => {
    document.body.dataset.smartSync = "dropped";
    setNotice(t("order.session.dropped"), "dropped");
  },
});

$("done").addEventListener("click", async () => {
  $("done").disabled = true;
  await session.finish();
  location.assign("/drafts");
});

// Signing out ends the session first: the goodbye beacon would go out already signed out.
const logout = document.querySelector("form.logout");
logout?.addEventListener("submit", async (event) => {
  if (session.closed) return;
  event.preventDefault();
  await session.finish();
  logout.submit();
});

updateDone();
refreshTotals();
session.start();
if (config.editDraftId) loadDraft(config.editDraftId);
else if (config.prefill) applyPrefill(config.prefill);
else if (config.prefillMissing) showError(t(`order.prefill.${config.prefillMissing}_missing`));
showLocalTimes();
