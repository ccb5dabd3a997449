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

// The skip link moves the focus itself: to the main content, or on the posyandu day to the first weight.
document.querySelectorAll("a[data-skip-link]").forEach((link) => {
  link.addEventListener("click", (event) => {
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    event.preventDefault();
    target.focus();
  });
});

// Narrow screens: the menu folds behind one button. Without JavaScript it simply stays open.
document.querySelectorAll("button[data-menu-toggle]").forEach((button) => {
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  button.closest("nav").classList.add("menu-collapsible");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
});
