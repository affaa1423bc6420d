// Times the server wrote in UTC ("aggiornato alle 14:59 UTC"), shown in the device's zone.

import { lang } from "./i18n.js";

const shortTime = new Intl.DateTimeFormat(lang === "it" ? "it-IT" : "en-GB", {
  hour: "2-digit",
  minute: "2-digit",
});

// "14:59" in the device's zone.
export function formatShortTime(iso) {
  return shortTime.format(new Date(iso));
}

export function showLocalTimes(root = document) {
  for (const time of root.querySelectorAll("time[data-time]")) {
    time.textContent = formatShortTime(time.getAttribute("datetime"));
  }
}
