// Posyandu day: submit one child's form with fetch and put the server-rendered row in its place.
// Without JavaScript the forms post normally and the page comes back (progressive enhancement).
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
      // Offline or the server is unreachable: fall back to a normal post, which shows the browser's error.
      form.submit();
      return;
    }
    // 422: refused values; 409: the day holds other values, shown in the row for the kader to choose.
    if (response.status !== 200 && response.status !== 422 && response.status !== 409) {
      form.submit();
      return;
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
  }

  document.addEventListener("input", (event) => {
    if (event.target.matches("input[data-decimal]")) {
      checkDecimal(event.target);
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
