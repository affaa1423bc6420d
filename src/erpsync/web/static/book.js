// The agent's book pages: search as you type on /customers, and times in the device's zone.

import { getJson, isAbort } from "./api.js";
import { formatDateTime } from "./i18n.js";
import { showLocalTimes } from "./local_times.js";

const DEBOUNCE_MS = 120;

showLocalTimes();
for (const stamp of document.querySelectorAll("[data-timestamp]")) {
  stamp.textContent = formatDateTime(stamp.dataset.timestamp);
}

function customerItem(customer) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `/customers/${encodeURIComponent(customer.code)}`;
  const name = document.createElement("strong");
  name.textContent = customer.name;
  const detail = document.createElement("span");
  detail.className = "muted";
  const place = customer.city ? ` · ${customer.city}${customer.province ? ` (${customer.province})` : ""}` : "";
  detail.textContent = `${customer.code}${place}`;
  link.append(name, " ", detail);
  item.append(link);
  return item;
}

const filter = document.getElementById("customer-filter");
if (filter) {
  const list = document.getElementById("customer-list");
  const empty = document.getElementById("customers-empty");
  let timer = null;
  let controller = null;
  const run = async () => {
    controller?.abort();
    controller = new AbortController();
    const q = filter.value.trim();
    try {
      const url = `/api/customers?limit=50&q=${encodeURIComponent(q)}`;
      const { customers } = await getJson(url, { signal: controller.signal });
      list.replaceChildren(...customers.map(customerItem));
      empty.hidden = customers.length > 0;
      history.replaceState(null, "", q ? `/customers?q=${encodeURIComponent(q)}` : "/customers");
    } catch (error) {
      if (!isAbort(error)) throw error;
    }
  };
  filter.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  // Typed before this script was ready: the list shown is the one for the address's query.
  const shown = new URLSearchParams(location.search).get("q") || "";
  if (filter.value.trim() !== shown.trim()) run();
}
