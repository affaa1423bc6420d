// JSON calls to the erpsync API from the pages: same-origin, errors as ApiError.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function toLogin() {
  const here = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(here)}`);
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
    toLogin();
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
