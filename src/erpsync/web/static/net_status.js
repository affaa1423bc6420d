// On every page: the app's service worker, and in the header whether the network answers and
// how many drafts wait on the device to be uploaded.

import { t, plural } from "./i18n.js";
import { PendingDrafts } from "./device_drafts.js";
import { DeviceStore } from "./device_store.js";

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

const status = document.getElementById("net-status");
const waiting = document.getElementById("pending-count");

function showNetwork() {
  if (!status) return;
  const online = navigator.onLine;
  status.dataset.state = online ? "online" : "offline";
  status.textContent = online ? t("offline.online") : t("offline.offline");
}

export async function showPending() {
  const userId = document.body.dataset.user;
  if (!waiting || !userId || !("indexedDB" in window)) return;
  try {
    const pending = new PendingDrafts(await DeviceStore.open(userId));
    const count = (await pending.all()).length;
    waiting.hidden = count === 0;
    waiting.textContent = plural("offline.pending", count);
  } catch {
    waiting.hidden = true;
  }
}

window.addEventListener("online", showNetwork);
window.addEventListener("offline", showNetwork);
window.addEventListener("erpsync:pending", showPending);
showNetwork();
showPending();
