// Submit the language switcher on change (the noscript button covers browsers without JS).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

// A form sent back with errors: open the sections holding it (a closed <details> would hide the message)
// and move the focus to its first marked field, or to its error summary when no field is marked.
const formWithErrors = document.querySelector("form[data-has-errors]");
if (formWithErrors) {
  for (let node = formWithErrors.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
  }
  const target =
    formWithErrors.querySelector("[aria-invalid='true']") || formWithErrors.querySelector("[data-error-summary]");
  if (target) {
    target.scrollIntoView({ block: "center" });
    target.focus();
  }
}
