// Posyandu day: submit one child's form with fetch and put the server-rendered row in its place.
// Without JavaScript the forms post normally and the page comes back (progressive enhancement).
// Without a connection the entry waits on the phone (window.OfflineStore, static/children/offline_store.js),
// shown as "belum terkirim" with the statuses the growth engine computes here, and is sent to the sync
// endpoint when the connection returns, on page load, or with "Kirim sekarang".
(function () {
  "use strict";

  // Digits with at most one decimal separator, comma or point, as the server's LocalizedDecimalField reads them.
  const DECIMAL = /^[0-9]+([,.][0-9]+)?$/;

  // The number a kader typed ("8,9" or "8.9"), null when empty, NaN when it is not one number ("8,9,1").
  function parseDecimal(text) {
    const value = text.trim();
    if (value === "") {
      return null;
    }
    return DECIMAL.test(value) ? Number(value.replace(",", ".")) : NaN;
  }

  function checkDecimal(input) {
    const parsed = parseDecimal(input.value);
    input.setCustomValidity(Number.isNaN(parsed) ? input.dataset.decimalMessage : "");
  }

  // The position rule of children/rules.py, as the page gives it (ages in days on the measuring day).
  const ruleElement = document.getElementById("position-rule");
  const positionRule = ruleElement ? JSON.parse(ruleElement.textContent) : null;
  const DAY_MS = 24 * 60 * 60 * 1000;

  function ageDays(form) {
    const day = form.querySelector("input[name$='-measured_on']");
    const born = Date.parse(form.dataset.birthDate);
    const measured = day ? Date.parse(day.value) : NaN;
    return Number.isNaN(born) || Number.isNaN(measured) ? null : Math.round((measured - born) / DAY_MS);
  }

  // A standing height under 9 months is stopped here already (the server refuses it too); between 9 and
  // 24 months the kader reads that the engine adds 0.7 cm.
  function checkPosition(form) {
    const hint = form.querySelector("[data-position-hint]");
    const standing = form.querySelector(`input[name$='-position'][value='${positionRule ? positionRule.standing : ""}']`);
    if (!positionRule || !hint || !standing) {
      return;
    }
    const age = ageDays(form);
    const height = parseDecimal(form.querySelector("input[name$='-height_cm']").value);
    let text = "";
    let refused = false;
    if (standing.checked && age !== null) {
      if (age < positionRule.standing_min_age_days) {
        refused = height !== null;
        text = positionRule.message;
      } else if (age < positionRule.length_until_age_days) {
        text = positionRule.adjusted_message;
      }
    }
    standing.setCustomValidity(refused ? positionRule.message : "");
    hint.textContent = text;
    hint.classList.toggle("refused", text === positionRule.message);
  }

  function weightInput(row) {
    return row ? row.querySelector("input[name$='-weight_kg']") : null;
  }

  function nextRow(row) {
    let next = row.nextElementSibling;
    while (next && !next.matches("[data-child-row]")) {
      next = next.nextElementSibling;
    }
    return next;
  }

  async function submitRow(form) {
    const row = form.closest("[data-child-row]");
    const button = form.querySelector("button[type=submit]");
    if (navigator.onLine === false && offline.keep(form)) {
      return null;
    }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: {
          "X-Requested-With": "fetch",
          "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
        },
      });
    } catch (error) {
      // Offline or the server is unreachable: the entry waits on the phone.
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (!offline.keep(form)) {
        form.submit();
      }
      return null;
    }
    // A proxy's 502-504 or a failing server: the entry waits on the phone like one made offline.
    if (response.status >= 500 && offline.keep(form)) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      return null;
    }
    // 422: refused values; 409: the day holds other values, shown in the row for the kader to choose.
    if (response.status !== 200 && response.status !== 422 && response.status !== 409) {
      form.submit();
      return null;
    }
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    const fresh = template.content.firstElementChild;
    row.replaceWith(fresh);
    const counter = document.querySelector("[data-measured-count]");
    if (counter) {
      counter.textContent = String(document.querySelectorAll("[data-child-row].measured").length);
    }
    if (response.status === 200) {
      const next = weightInput(nextRow(fresh));
      (next || fresh.querySelector("[data-result]") || fresh).focus();
      if (!next) {
        fresh.scrollIntoView({ block: "nearest" });
      }
    } else {
      const target = fresh.querySelector("[aria-invalid=true], input[name$='-remeasure_confirmed']") || weightInput(fresh);
      if (target) {
        target.focus();
      }
    }
    return response.status;
  }

  const offline = window.PosyanduOffline
    ? window.PosyanduOffline.start({ parseDecimal, weightInput, nextRow, submitRow })
    : { keep: () => false };

  document.addEventListener("input", (event) => {
    if (event.target.matches("input[data-decimal]")) {
      checkDecimal(event.target);
    }
    const form = event.target.closest("form[data-row-form]");
    if (form) {
      checkPosition(form);
    }
  });

  document.addEventListener("change", (event) => {
    const form = event.target.closest("form[data-row-form]");
    if (form) {
      checkPosition(form);
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-row-form]");
    if (!form || !window.fetch) {
      return;
    }
    event.preventDefault();
    submitRow(form);
  });
})();
