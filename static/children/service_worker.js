// The service worker of the offline posyandu day. Its configuration (self.OFFLINE_CONFIG: version, the
// app shell's static URLs, the patterns of the pages kept offline) is written before this text by /sw.js.
//
// Static files: cache first (their names change with their content in production; the version changes
// with the shell in any case). Pages: network first, the last copy when there is no connection, and only
// the kader's home and posyandu-day pages are ever stored. Nothing else is touched: POSTs and the API go
// to the network as they are (an unsent entry waits in IndexedDB, never in a cache).
/* global self, caches, fetch, Response, URL */
"use strict";

const CONFIG = self.OFFLINE_CONFIG;
const STATIC_CACHE = `posyandu-static-${CONFIG.version}`;
// Holds personal data (names on the pages): emptied at logout by static/children/offline_store.js.
const PAGE_CACHE = "posyandu-pages";
const PAGES = CONFIG.pages.map((pattern) => new RegExp(pattern));
const ENGINE_MANIFEST = new RegExp(CONFIG.engine_manifest);
const ENGINE_DOCUMENTS = new RegExp(CONFIG.engine_documents);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) => cache.addAll(CONFIG.shell))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("posyandu-static-") && name !== STATIC_CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function isOfflinePage(url) {
  return url.origin === self.location.origin && PAGES.some((pattern) => pattern.test(url.pathname));
}

// A navigation may not be answered with a redirected response: keep a plain copy of the final page.
async function plainCopy(response) {
  if (!response.redirected) {
    return response;
  }
  return new Response(await response.blob(), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

async function networkFirst(request, cacheName, keep) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    const finalUrl = new URL(response.url || request.url);
    // A session that ended answers the login page: that is not the posyandu day, keep the old copy.
    if (response.ok && response.type === "basic" && keep(finalUrl)) {
      await cache.put(finalUrl.href, await plainCopy(response.clone()));
    }
    return response;
  } catch (error) {
    const cached = await cache.match(request.url, { ignoreSearch: true });
    if (cached) {
      return cached;
    }
    throw error;
  }
}

// Only the shell and the files the page asked for are kept; other static files go to the network.
// `keep`: a versioned document, kept at its first fetch.
async function cacheFirst(request, keep) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(request);
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  if (keep && response.ok && response.type === "basic") {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && isOfflinePage(url)) {
    event.respondWith(networkFirst(request, PAGE_CACHE, isOfflinePage));
  } else if (ENGINE_MANIFEST.test(url.pathname)) {
    event.respondWith(networkFirst(request, STATIC_CACHE, () => true));
  } else if (ENGINE_DOCUMENTS.test(url.pathname)) {
    event.respondWith(cacheFirst(request, true));
  } else if (url.pathname.startsWith(CONFIG.static_prefix)) {
    event.respondWith(cacheFirst(request, false));
  }
});
