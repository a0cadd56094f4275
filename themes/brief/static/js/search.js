// Pagefind's UI, with the query kept in the URL (?q=...) so a search can be shared.
window.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(window.location.search);
  const ui = new PagefindUI({
    element: "#search",
    showSubResults: false,
    showImages: false,
    resetStyles: false,
    processTerm: (term) => {
      const url = new URL(window.location.href);
      if (term) url.searchParams.set("q", term); else url.searchParams.delete("q");
      window.history.replaceState(null, "", url);
      return term;
    },
  });
  const query = params.get("q");
  if (query) ui.triggerSearch(query);
});
