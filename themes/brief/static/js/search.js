// Our search page on Pagefind's JS API: several values in one filter group combine with OR,
// each value's count ignores the other selections of its own group (so they never drop to
// 0), results can be sorted newest first, and the query lives in the URL.
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const sort = document.getElementById("sort");
const filtersBox = document.getElementById("filters");
const panel = document.getElementById("filter-panel");
panel.open = window.matchMedia("(min-width: 720px)").matches; // folded on phones
const statusLine = document.getElementById("status");
const list = document.getElementById("results");
const more = document.getElementById("more");
const GROUPS = ["entity", "section", "source", "issue", "type"];
const LABELS = { entity: "Company or platform", section: "Section", source: "Source", issue: "Issue", type: "Kind" };
const PAGE = 10;

let pagefind = null;
let loading = null;
let results = [];
let shown = 0;
let run = 0;
const selected = Object.fromEntries(GROUPS.map((g) => [g, new Set()]));

function load() {
  // Preload on focus: by the time the reader finishes typing, the index is here.
  if (!loading) {
    loading = import(form.dataset.pagefindBase + "pagefind.js").then(async (module) => {
      await module.options({ excerptLength: 24 });
      await module.init();
      // Pagefind loads filter indexes lazily and only counts the groups it has loaded.
      await module.filters();
      pagefind = module;
      return module;
    });
  }
  return loading;
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  sort.value = params.get("sort") === "newest" ? "newest" : "relevance";
  for (const group of GROUPS) {
    selected[group] = new Set(params.getAll(group));
  }
}

function writeUrl() {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  if (sort.value === "newest") params.set("sort", "newest");
  for (const group of GROUPS) for (const value of selected[group]) params.append(group, value);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function filtersExcept(skip) {
  const filters = {};
  for (const group of GROUPS) {
    if (group !== skip && selected[group].size) filters[group] = { any: [...selected[group]] };
  }
  return filters;
}

async function search() {
  const mine = ++run;
  const module = await load();
  const term = input.value.trim() || null;
  const active = GROUPS.some((g) => selected[g].size);
  writeUrl();
  if (!term && !active) {
    if (mine !== run) return;
    results = [];
    list.replaceChildren();
    more.hidden = true;
    statusLine.textContent = "Type a company, a platform or a topic.";
    renderFilters(await module.filters(), {});
    return;
  }
  const options = { filters: filtersExcept(null) };
  if (sort.value === "newest") options.sort = { date: "desc" };
  const found = await module.search(term, options);
  // Counts per group, as if that group had no selection: other values never drop to 0.
  const counts = {};
  for (const group of GROUPS) {
    if (!selected[group].size) continue;
    const others = await module.search(term, { filters: filtersExcept(group) });
    counts[group] = others.filters[group] || {};
  }
  if (mine !== run || !found) return;
  results = found.results;
  shown = 0;
  list.replaceChildren();
  renderFilters(found.filters, counts);
  await showMore();
  if (mine !== run) return;
  // The status changes last, once the results it announces are on the page.
  statusLine.textContent = results.length
    ? `${results.length} ${results.length === 1 ? "result" : "results"}${term ? ` for “${term}”` : ""}`
    : `Nothing found${term ? ` for “${term}”` : ""}. Try fewer words or fewer filters.`;
}

// Pagefind's excerpt is HTML: escaped page text with <mark> around the matches. It is read
// in an inert document and only its text and <mark>s are copied, so nothing a page's text
// holds can ever become markup here, whatever the index contains.
function excerptNodes(html) {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const nodes = document.createDocumentFragment();
  for (const node of parsed.body.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      nodes.append(mark);
    } else {
      nodes.append(document.createTextNode(node.textContent));
    }
  }
  return nodes;
}

async function showMore() {
  const batch = results.slice(shown, shown + PAGE);
  shown += batch.length;
  const items = await Promise.all(batch.map((r) => r.data()));
  for (const data of items) {
    const item = document.createElement("li");
    item.className = "result";
    const link = document.createElement("a");
    link.href = data.url;
    link.textContent = data.meta.title || data.url;
    const heading = document.createElement("h2");
    heading.append(link);
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = [data.meta.kind, data.meta.date, data.meta.source].filter(Boolean).join(" · ");
    const excerpt = document.createElement("p");
    excerpt.className = "excerpt";
    excerpt.append(excerptNodes(data.excerpt));
    item.append(heading, meta, excerpt);
    list.append(item);
  }
  more.hidden = shown >= results.length;
}

function renderFilters(available, counts) {
  filtersBox.replaceChildren();
  for (const group of GROUPS) {
    const values = { ...(available[group] || {}), ...(counts[group] || {}) };
    for (const value of selected[group]) if (!(value in values)) values[value] = 0;
    const isOn = (name) => (selected[group].has(name) ? 1 : 0);
    const names = Object.keys(values).sort(
      (a, b) => isOn(b) - isOn(a) || values[b] - values[a] || a.localeCompare(b),
    );
    if (!names.length) continue;
    const box = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = LABELS[group];
    box.append(legend);
    for (const name of names) {
      const label = document.createElement("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.name = group;
      check.value = name;
      check.checked = selected[group].has(name);
      check.addEventListener("change", () => {
        if (check.checked) selected[group].add(name); else selected[group].delete(name);
        search();
      });
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = values[name];
      label.append(check, ` ${name} `, count);
      box.append(label);
    }
    filtersBox.append(box);
  }
  panel.hidden = !filtersBox.children.length;
  const chosen = GROUPS.reduce((sum, g) => sum + selected[g].size, 0);
  panel.querySelector("summary").textContent = chosen ? `Filters (${chosen} selected)` : "Filters";
}

let timer = null;
input.addEventListener("focus", load, { once: true });
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(search, 60); // a short debounce
});
sort.addEventListener("change", search);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  search();
});
more.addEventListener("click", showMore);
readUrl();
search();
