// The page's message catalogue (embedded by the server) and locale-aware formatting.

const messages = JSON.parse(document.getElementById("i18n").textContent);

export const lang = document.documentElement.lang || "it";
const locale = lang === "it" ? "it-IT" : "en-GB";

export function t(key, params = {}) {
  const message = messages[key] ?? key;
  return message.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

export function plural(key, count, params = {}) {
  return t(`${key}.${count === 1 ? "one" : "other"}`, { count, ...params });
}

const euro = new Intl.NumberFormat(locale, { style: "currency", currency: "EUR" });
const timeOfDay = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short" });

export function formatCents(cents) {
  return euro.format(cents / 100);
}

export function formatTime(iso) {
  return iso ? timeOfDay.format(new Date(iso)) : "—";
}

export function formatDateTime(iso) {
  return iso ? dayAndTime.format(new Date(iso)) : "—";
}

const calendarDay = new Intl.DateTimeFormat(locale, { dateStyle: "short" });

// A calendar day ("2026-12-01"), shown as the same day wherever the device is.
export function formatDate(day) {
  if (!day) return "—";
  const [year, month, date] = day.split("-").map(Number);
  return calendarDay.format(new Date(year, month - 1, date));
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
}
