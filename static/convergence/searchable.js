// Searchable selects: a <select data-search-url="..."> becomes a Tom Select field whose entries come from
// the server for the letters typed (convergence/views_search.py: only what the user may see, each entry
// saying where it is; the first 20, so typing more narrows them). Without JavaScript the plain select
// keeps working.
document.querySelectorAll("select[data-search-url]").forEach((select) => {
  const url = select.dataset.searchUrl;
  const minimum = Number(select.dataset.searchMin || "0");
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
      no_results: () => `<div class="no-results">${select.dataset.searchNone || "-"}</div>`,
    },
  });
});
