// What the phone keeps for the offline posyandu day, in IndexedDB (no library: two object stores).
//   outbox: the entries made without a connection, by client_id, until the server has them or the kader
//           discards one. They survive logout (never lost), each tagged with the user who made it.
//   scope:  the posyandu day's children and last measurements (offline data endpoint), by posyandu and
//           month. Personal data: cleared at logout with the cached pages.
// Also: the service worker's registration, the kader home's count of unsent entries and the logout check.
(function () {
  "use strict";

  const DB_NAME = "posyandu-luring";
  const DB_VERSION = 1;
  const OUTBOX = "outbox";
  const SCOPE = "scope";
  // The service worker's cache of pages (static/children/service_worker.js).
  const PAGE_CACHE = "posyandu-pages";

  let opening = null;

  function open() {
    if (!window.indexedDB) {
      return Promise.reject(new Error("IndexedDB"));
    }
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains(OUTBOX)) {
            db.createObjectStore(OUTBOX, { keyPath: "client_id" }).createIndex("user", "user");
          }
          if (!db.objectStoreNames.contains(SCOPE)) {
            db.createObjectStore(SCOPE, { keyPath: "key" });
          }
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return opening;
  }

  function run(storeName, mode, work) {
    return open().then(
      (db) =>
        new Promise((resolve, reject) => {
          const transaction = db.transaction(storeName, mode);
          const request = work(transaction.objectStore(storeName));
          transaction.oncomplete = () => resolve(request ? request.result : undefined);
          transaction.onerror = () => reject(transaction.error);
          transaction.onabort = () => reject(transaction.error);
        }),
    );
  }

  const store = {
    outboxOf(user) {
      return run(OUTBOX, "readonly", (s) => s.index("user").getAll(String(user))).then((entries) =>
        entries.sort((a, b) => a.saved_at - b.saved_at),
      );
    },
    outboxCount() {
      return run(OUTBOX, "readonly", (s) => s.count());
    },
    outboxPut(entry) {
      return run(OUTBOX, "readwrite", (s) => s.put(entry));
    },
    outboxDelete(clientId) {
      return run(OUTBOX, "readwrite", (s) => s.delete(clientId));
    },
    scopePut(key, data) {
      return run(SCOPE, "readwrite", (s) => s.put({ key, data }));
    },
    scopeGet(key) {
      return run(SCOPE, "readonly", (s) => s.get(key)).then((row) => (row ? row.data : null));
    },
    // A fresh copy of a page for use without a connection (only pages the worker would keep anyway).
    keepPage(url) {
      if (!window.caches || navigator.onLine === false) {
        return Promise.resolve();
      }
      // An ended session answers with the login page (a redirect): never kept in the page's place.
      return fetch(url, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok || response.redirected) {
            return null;
          }
          return caches.open(PAGE_CACHE).then((cache) => cache.put(url, response));
        })
        .catch(() => {});
    },
    // Logout: the children's data and the pages holding names go; unsent entries stay.
    clearPersonal() {
      const pages = window.caches ? caches.delete(PAGE_CACHE) : Promise.resolve(false);
      return Promise.all([run(SCOPE, "readwrite", (s) => s.clear()), pages]);
    },
  };
  window.OfflineStore = store;

  // The service worker, on the pages that name it (kader home, posyandu day).
  const worker = document.querySelector("[data-service-worker]");
  if (worker && navigator.serviceWorker) {
    navigator.serviceWorker.register(worker.dataset.serviceWorker, { scope: "/" }).catch(() => {});
    // This page and the ones it names, kept now: the worker did not yet control the first visit.
    const pages = [...document.querySelectorAll("a[data-keep-offline]")].map((link) => link.href);
    if (!navigator.serviceWorker.controller) {
      pages.push(window.location.href);
    }
    pages.forEach((url) => store.keepPage(url));
  }

  // Kader home: how many entries of hers wait on this phone.
  document.querySelectorAll("[data-unsent-count]").forEach((element) => {
    store
      .outboxOf(element.dataset.user)
      .then((entries) => {
        element.querySelector("[data-unsent-number]").textContent = String(entries.length);
        element.hidden = entries.length === 0;
      })
      .catch(() => {});
  });

  // Logout: warn while entries wait (they stay on the phone), then clear the personal data.
  document.querySelectorAll("form[data-logout-form]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.checked === "true") {
        return;
      }
      event.preventDefault();
      store
        .outboxCount()
        .catch(() => 0)
        .then((unsent) => {
          if (unsent > 0 && !window.confirm(form.dataset.unsentWarning)) {
            return null;
          }
          return store
            .clearPersonal()
            .catch(() => {})
            .then(() => {
              form.dataset.checked = "true";
              form.submit();
            });
        });
    });
  });
})();
