// erpsync's service worker: the app shell (scripts, styles, the order form and the drafts
// page) kept on the device, so /orders/new and /drafts open without signal after one visit
// online. Each version of the app has its own cache, filled when the new worker installs and
// the old ones dropped when it takes over; what agents entered offline lives in IndexedDB,
// which an upgrade never touches.

const VERSION = {{ version | tojson }};
const SHELL = `erpsync-shell-${VERSION}`;
// The pages as the signed-in user last loaded them: emptied when anyone signs in or out, so
// another agent on the same device never opens the previous one's page.
const PAGES = "erpsync-pages";
const ASSETS = {{ assets | tojson }};
const OFFLINE_PAGES = {{ pages | tojson }};
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const shell = await caches.open(SHELL);
      await shell.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })));
      const pages = await caches.open(PAGES);
      for (const path of OFFLINE_PAGES) {
        try {
          const response = await fetch(path, { credentials: "same-origin", cache: "reload" });
          if (response.ok && !response.redirected) await pages.put(path, response);
        } catch {
          // offline while installing: the page is kept at its next visit
        }
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("erpsync-shell-") && name !== SHELL) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

function withTimeout(promise, ms) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error("network timeout")), ms)),
  ]);
}

async function page(request, path) {
  const pages = await caches.open(PAGES);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
    if (response.ok && !response.redirected) await pages.put(path, response.clone());
    return response;
  } catch (error) {
    const kept = await pages.match(path);
    if (kept) return kept;
    throw error;
  }
}

async function asset(request) {
  const kept = await caches.match(request, { cacheName: SHELL, ignoreSearch: true });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && (url.pathname === "/login" || url.pathname === "/logout")) {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate" && OFFLINE_PAGES.includes(url.pathname)) {
    event.respondWith(page(request, url.pathname));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request));
  }
});
