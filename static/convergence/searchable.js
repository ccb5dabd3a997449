// Searchable selects: a <select data-search-url="..."> becomes a Tom Select field whose entries come from
// the server for the letters typed (convergence/views_search.py: only what the user may see, each entry
// saying where it is; the first 20, so typing more narrows them). Without JavaScript the plain select
// keeps working.

// The texts of the dropdown, in the page's language, from this script's own tag.
const texts = document.currentScript.dataset;

// A list too long for a select comes as a number box (the record's number): with JavaScript it becomes a
// select of the same name, holding the number typed so far, and is searched like the others.
document.querySelectorAll("input[data-search-url]").forEach((input) => {
  const select = document.createElement("select");
  for (const attribute of input.attributes) {
    if (!["type", "min", "value", "step"].includes(attribute.name)) {
      select.setAttribute(attribute.name, attribute.value);
    }
  }
  select.add(new Option(input.value || "", input.value || "", true, true));
  input.replaceWith(select);
});

document.querySelectorAll("select[data-search-url]").forEach((select) => {
  const url = select.dataset.searchUrl;
  const minimum = Number(select.dataset.searchMin || "0");
  // Tom Select points the field's label at its own search box: the select it keeps (hidden, still in
  // the accessibility tree) is named by the same label, so a screen reader never meets a nameless field.
  const label = select.labels && select.labels[0];
  if (label && !select.hasAttribute("aria-label")) {
    label.id = label.id || `${select.id}-label`;
    select.setAttribute("aria-labelledby", label.id);
  }
  new TomSelect(select, {
    valueField: "value",
    labelField: "label",
    searchField: [],
    // The server has chosen and ordered the entries: keep its order, filter nothing more here.
    score: () => () => 1,
    maxOptions: null,
    hideSelected: true,
    loadThrottle: 300,
    shouldLoad: (query) => query.length >= minimum,
    load(query, callback) {
      fetch(`${url}?q=${encodeURIComponent(query)}`, { credentials: "same-origin" })
        .then((response) => response.json())
        .then((answer) => {
          this.clearOptions();
          callback(answer.results);
        })
        .catch(() => callback());
    },
    render: {
      no_results: () => `<div class="no-results">${texts.none}</div>`,
      not_loading: (data) =>
        data.input.length < minimum ? `<div class="no-results">${texts.short}</div>` : undefined,
    },
  });
});
