// JSON calls to the erpsync API from the pages: same-origin, errors as ApiError.

import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// Signed out (the cookie expired): say so and offer the login in a new tab, rather than
// navigating away from a half-filled order.
function signedOut() {
  if (document.getElementById("signed-out")) return;
  const banner = document.createElement("p");
  banner.id = "signed-out";
  banner.className = "error banner-signed-out";
  banner.setAttribute("role", "alert");
  const link = document.createElement("a");
  link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = t("common.sign_in_again");
  banner.append(t("common.signed_out"), " ", link);
  document.querySelector("main").prepend(banner);
  window.addEventListener("focus", () => banner.remove(), { once: true });
}

export async function api(method, url, body, { signal, keepalive } = {}) {
  const init = {
    method,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
    signal,
    keepalive,
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401) {
    signedOut();
  }
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.error) || response.statusText, data);
  }
  return data;
}

export const getJson = (url, options) => api("GET", url, undefined, options);
export const postJson = (url, body, options) => api("POST", url, body, options);

export function pageConfig() {
  const element = document.getElementById("page-config");
  return element ? JSON.parse(element.textContent) : {};
}

export function isAbort(error) {
  return error && error.name === "AbortError";
}
