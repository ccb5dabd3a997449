// PMT pages: messages where the eye is, and one submit per click.
// The first error summary (or, without one, the first status message) takes the focus, so that a
// screen reader and a sighted user both land on what went wrong; its <details> section is already open.
(() => {
  const target = document.querySelector("[data-focus]") || document.querySelector("main .message");
  if (target) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
    target.scrollIntoView({ block: "center" });
  }
  // A second click while the page is sending would only replay the first result (the server keeps one
  // operation per form token); disabling the button says so at once.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]").forEach((button) => {
        button.setAttribute("aria-disabled", "true");
        button.addEventListener("click", (event) => event.preventDefault());
      });
    });
  });
})();
