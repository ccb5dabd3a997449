// The posyandu day without a connection (used by static/children/posyandu_day.js).
//
// An entry the server cannot take now goes to the phone's outbox (window.OfflineStore) with a client_id
// of its own, and shows in its child's row as "belum terkirim" with the statuses the growth engine
// (window.GrowthEngine, when loaded) computes here. The outbox is sent to the sync endpoint on page load,
// when the connection returns and with "Kirim sekarang"; a resent batch never doubles a row (the server
// knows each client_id). Each answer is applied: created or duplicate: sent, with the server's z-scores;
// conflict: both values shown, the kader keeps the stored one or replaces it; rejected: the message next
// to the entry. Nothing leaves the outbox unless the server has it or the kader discards it.
(function () {
  "use strict";

  const INDICES = ["waz", "haz", "whz", "baz"];
  const DECIMAL_FIELDS = ["weight_kg", "height_cm", "lila_cm", "head_circumference_cm"];
  const CHECKS = ["oedema", "vitamin_a", "pmt_received", "remeasure_confirmed"];
  const WIRE = ["client_id", "child", "measured_on", "position", ...DECIMAL_FIELDS, ...CHECKS];

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value));
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function start(helpers) {
    const bar = document.querySelector("[data-offline]");
    const store = window.OfflineStore;
    const messageData = document.getElementById("offline-messages");
    if (!bar || !store || !messageData || !window.crypto || !crypto.randomUUID) {
      return { keep: () => false };
    }
    const M = JSON.parse(messageData.textContent);
    const user = bar.dataset.user;
    const comma = !(document.documentElement.lang || "id").startsWith("en");
    let scope = null;
    let engineLoaded = false;
    let syncing = false;

    function number(value, places) {
      if (value === null || value === undefined || value === "") {
        return "-";
      }
      const text = Number(value).toFixed(places);
      return comma ? text.replace(".", ",") : text;
    }

    function day(iso) {
      const [year, month, date] = String(iso).split("-");
      return `${date}-${month}-${year}`;
    }

    function say(text) {
      bar.querySelector("[data-sync-message]").textContent = text;
    }

    function csrf() {
      const input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }

    // --- an entry from a row's form -----------------------------------------------------------------

    function field(form, name) {
      return form.querySelector(`[name$='-${name}']`);
    }

    function entryOf(form) {
      const position = form.querySelector("input[name$='-position']:checked");
      const entry = {
        client_id: crypto.randomUUID(),
        user,
        child: Number(form.querySelector("input[name=child]").value),
        measured_on: field(form, "measured_on").value,
        position: position ? position.value : "",
        position_label: position ? position.closest("label").textContent.trim() : "-",
        state: "unsent",
        saved_at: Date.now(),
      };
      DECIMAL_FIELDS.forEach((name) => {
        const input = field(form, name);
        const parsed = input ? helpers.parseDecimal(input.value) : null;
        // Sent as the API reads decimals ("8.9"), whichever separator the kader typed.
        entry[name] = parsed === null || Number.isNaN(parsed) ? null : input.value.trim().replace(",", ".");
      });
      CHECKS.forEach((name) => {
        const input = field(form, name);
        entry[name] = Boolean(input && input.checked);
      });
      return entry;
    }

    function wire(entry) {
      return Object.fromEntries(WIRE.map((name) => [name, entry[name]]));
    }

    // --- statuses: the phone's before sending, the server's after ----------------------------------

    function statusList(indices, gain) {
      const list = element("dl", { class: "status" });
      indices.forEach((item) => {
        const box = element("div", { class: `status-item ${item.tone || ""}`.trim() });
        box.append(element("dt", {}, M.indices[item.index]));
        const value = element("dd");
        value.append(element("span", { "data-z": item.index }, item.z), " ");
        value.append(element("span", { "data-category": item.index }, item.category));
        box.append(value);
        list.append(box);
      });
      const box = element("div", { class: "status-item" });
      box.append(element("dt", {}, M.gain));
      const value = element("dd");
      value.append(element("strong", { "data-gain": "" }, gain));
      box.append(value);
      list.append(box);
      return list;
    }

    function serverStatus(measurement) {
      const indices = INDICES.map((index) => ({
        index,
        z: number(measurement[index], 2),
        category: measurement.categories[index].label,
      }));
      return statusList(indices, measurement.weight_gain.code);
    }

    // The engine's result for an entry, against the child's earlier weighings kept on the phone.
    function assessed(entry) {
      const child = scope && scope.children.find((item) => item.id === entry.child);
      if (!engineLoaded || !child) {
        return null;
      }
      const previous = [child.previous, child.current].filter((m) => m && m.measured_on !== entry.measured_on);
      return window.GrowthEngine.assess({ ...entry, sex: child.sex, birth_date: child.birth_date }, previous);
    }

    function phoneStatus(result) {
      const indices = INDICES.map((index) => ({
        index,
        z: number(result.zscores[index], 2),
        category: window.GrowthEngine.categoryLabel(index, result.categories[`${index}_category`]),
      }));
      return statusList(indices, result.weight_gain_letter || "-");
    }

    // A value out of range is refused whatever is confirmed: only a possible one asks for a re-measurement.
    function needsConfirmation(result, entry) {
      return result.violations.length === 0 && result.remeasure.length > 0 && !entry.remeasure_confirmed;
    }

    // --- an entry in its child's row -----------------------------------------------------------------

    function sectionOf(entry) {
      const row = document.getElementById(`anak-${entry.child}`);
      if (!row) {
        return null;
      }
      let section = row.querySelector(`[data-outbox-entry='${entry.client_id}']`);
      if (!section) {
        section = element("section", { class: "outbox-entry", "data-outbox-entry": entry.client_id });
        const form = row.querySelector("form[data-row-form]");
        row.insertBefore(section, form);
      }
      return section;
    }

    function valuesText(values, position) {
      return M.values
        .replace("{day}", day(values.measured_on))
        .replace("{weight}", number(values.weight_kg, 2))
        .replace("{height}", number(values.height_cm, 1))
        .replace("{position}", position || "-");
    }

    // A position code in the words of the row's own form ("Telentang").
    function positionLabel(childId, code) {
      const radio = document.querySelector(`#anak-${childId} input[name$='-position'][value='${code}']`);
      return radio ? radio.closest("label").textContent.trim() : code;
    }

    function problem(text) {
      return element("p", { class: "entry-errors", role: "alert", "data-entry-message": "" }, text);
    }

    function button(text, action, secondary) {
      const node = element("button", { type: "button", class: secondary ? "secondary outline" : "" }, text);
      node.addEventListener("click", action);
      return node;
    }

    function show(entry, measurement) {
      const section = sectionOf(entry);
      if (!section) {
        return;
      }
      section.replaceChildren();
      section.dataset.state = measurement ? "sent" : entry.state;
      const values = valuesText(entry, entry.position_label);
      const head = element("p");
      const state = element("mark", { class: "badge", "data-entry-state": "" }, measurement ? M.sent : M.unsent);
      head.append(state, " ", values);
      section.append(head);
      if (measurement) {
        section.append(serverStatus(measurement));
        return;
      }
      const result = entry.state === "unsent" ? assessed(entry) : null;
      if (result) {
        section.append(phoneStatus(result), element("p", { class: "position-note" }, M.phone_status));
        // What the server will refuse, said now (the entry still waits: the kader may discard it).
        result.violations.forEach((violation) => {
          section.append(element("p", { class: "entry-errors", "data-entry-message": "" }, violation.message));
        });
        if (needsConfirmation(result, entry)) {
          // The server will ask for a confirmed re-measurement: asked here already.
          section.append(element("p", { class: "entry-errors", "data-entry-message": "" }, M.remeasure));
        }
      } else if (entry.state === "unsent") {
        section.append(element("p", { class: "position-note" }, M.no_engine));
      }
      const actions = element("p", { class: "entry-actions" });
      if (entry.state === "conflict") {
        const existing = entry.existing;
        const stored = valuesText(existing, positionLabel(entry.child, existing.position));
        section.append(problem(M.conflict.replace("{values}", stored)));
        actions.append(button(M.replace, () => replace(entry)), " ");
        actions.append(button(M.keep, () => discard(entry, false), true));
      } else {
        if (result && needsConfirmation(result, entry)) {
          actions.append(button(M.confirm_remeasure, () => confirmRemeasure(entry)), " ");
        }
        if (entry.state === "rejected") {
          section.append(problem(entry.errors.join(" ")));
          if (entry.needs_confirmation) {
            actions.append(button(M.confirm_remeasure, () => confirmRemeasure(entry)), " ");
          }
        }
        actions.append(button(M.discard, () => discard(entry, true), true));
      }
      section.append(actions);
    }

    async function refreshCount() {
      const entries = await store.outboxOf(user).catch(() => []);
      bar.querySelector("[data-outbox-count]").textContent = String(entries.length);
      bar.querySelector("[data-outbox-summary]").hidden = entries.length === 0;
    }

    function markMeasured(childId) {
      const row = document.getElementById(`anak-${childId}`);
      if (row) {
        row.classList.add("measured");
      }
      const counter = document.querySelector("[data-measured-count]");
      if (counter) {
        counter.textContent = String(document.querySelectorAll("[data-child-row].measured").length);
      }
    }

    // --- the kader's choices ------------------------------------------------------------------------

    async function discard(entry, ask) {
      if (ask && !window.confirm(M.discard_confirm)) {
        return;
      }
      await store.outboxDelete(entry.client_id);
      const section = sectionOf(entry);
      if (section) {
        section.remove();
      }
      refreshCount();
    }

    async function confirmRemeasure(entry) {
      Object.assign(entry, { remeasure_confirmed: true, state: "unsent", errors: [] });
      await store.outboxPut(entry);
      show(entry);
      sync();
    }

    // Replace the day's stored values: the row's own form, naming the stored row it corrects, as the
    // page's "Ganti" does online.
    async function replace(entry) {
      const row = document.getElementById(`anak-${entry.child}`);
      const form = row && row.querySelector("form[data-row-form]");
      if (!form) {
        return;
      }
      field(form, "measured_on").value = entry.measured_on;
      DECIMAL_FIELDS.forEach((name) => {
        const input = field(form, name);
        if (input) {
          input.value = entry[name] === null ? "" : number(entry[name], name === "weight_kg" ? 2 : 1);
        }
      });
      CHECKS.forEach((name) => {
        const input = field(form, name);
        if (input) {
          input.checked = entry[name];
        }
      });
      form.querySelectorAll("input[name$='-position']").forEach((radio) => {
        radio.checked = radio.value === entry.position;
      });
      field(form, "corrects").value = String(entry.existing.id);
      field(form, "client_id").value = entry.client_id;
      const status = await helpers.submitRow(form);
      if (status === 200) {
        await store.outboxDelete(entry.client_id);
        refreshCount();
      }
    }

    // --- sending ------------------------------------------------------------------------------------

    async function apply(entry, result) {
      if (result.status === "created" || result.status === "duplicate") {
        await store.outboxDelete(entry.client_id);
        show(entry, result.measurement);
        markMeasured(entry.child);
        return;
      }
      if (result.status === "conflict") {
        const m = result.measurement;
        entry.state = "conflict";
        entry.existing = {
          id: m.id,
          measured_on: m.measured_on,
          weight_kg: m.weight_kg,
          height_cm: m.height_cm,
          position: m.position,
        };
      } else {
        entry.state = "rejected";
        entry.errors = (result.errors || []).map((error) => error.detail);
        entry.needs_confirmation = (result.errors || []).some((error) => error.code === "needs_confirmation");
      }
      await store.outboxPut(entry);
      show(entry);
    }

    async function sync() {
      if (syncing) {
        return;
      }
      syncing = true;
      try {
        const entries = (await store.outboxOf(user)).filter((entry) => entry.state === "unsent");
        if (!entries.length) {
          return;
        }
        say(M.sending);
        let response;
        try {
          response = await fetch(bar.dataset.syncUrl, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
            body: JSON.stringify({ entries: entries.map(wire) }),
          });
        } catch (error) {
          say(M.not_sent);
          return;
        }
        if (response.status === 401 || response.status === 403) {
          say(M.session);
          return;
        }
        let results;
        try {
          results = response.ok ? await response.json() : null;
        } catch (error) {
          results = null; // the answer was cut off: the entries stay and are sent again
        }
        if (!results) {
          say(M.not_sent);
          return;
        }
        for (const result of results) {
          const entry = entries.find((item) => item.client_id === result.client_id);
          if (entry) {
            await apply(entry, result);
          }
        }
        say("");
        store.keepPage(window.location.href);
      } finally {
        syncing = false;
        refreshCount();
      }
    }

    // --- keeping an entry on the phone ---------------------------------------------------------------

    function keep(form) {
      const entry = entryOf(form);
      store
        .outboxPut(entry)
        .then(() => {
          show(entry);
          refreshCount();
          DECIMAL_FIELDS.forEach((name) => {
            const input = field(form, name);
            if (input) {
              input.value = "";
            }
          });
          const row = form.closest("[data-child-row]");
          const next = helpers.weightInput(helpers.nextRow(row));
          (next || row).focus();
        })
        .catch(() => form.submit());
      return true;
    }

    function showConnection() {
      const note = bar.querySelector("[data-connection]");
      note.hidden = navigator.onLine !== false;
      note.textContent = note.hidden ? "" : M.offline;
    }

    async function loadScope() {
      const key = bar.dataset.dataUrl;
      if (navigator.onLine !== false) {
        try {
          const response = await fetch(key, { credentials: "same-origin", headers: { Accept: "application/json" } });
          if (response.ok) {
            scope = await response.json();
            await store.scopePut(key, scope);
            return;
          }
        } catch (error) {
          // no connection after all: the copy kept on the phone
        }
      }
      scope = await store.scopeGet(key).catch(() => null);
    }

    async function loadEngine() {
      if (!window.GrowthEngine || !bar.dataset.engineUrl) {
        return;
      }
      try {
        await window.GrowthEngine.loadFrom(bar.dataset.engineUrl);
        engineLoaded = true;
      } catch (error) {
        engineLoaded = false;
      }
    }

    async function begin() {
      showConnection();
      await Promise.all([loadScope(), loadEngine()]);
      const entries = await store.outboxOf(user).catch(() => []);
      entries.forEach((entry) => show(entry));
      await refreshCount();
      bar.dataset.ready = "true";
      if (navigator.onLine !== false) {
        sync();
      }
    }

    window.addEventListener("online", () => {
      showConnection();
      sync();
    });
    window.addEventListener("offline", showConnection);
    bar.querySelector("[data-sync-now]").addEventListener("click", () => sync());
    begin();
    return { keep };
  }

  window.PosyanduOffline = { start };
})();
