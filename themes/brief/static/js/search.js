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
const chips = document.getElementById("chips");
// Published issues, newest first: the issue filter shows their titles in this order.
const ISSUES = JSON.parse(document.getElementById("issue-titles").textContent || "[]");
const ISSUE_ORDER = new Map(ISSUES.map((issue, index) => [issue.week, index]));
// A search for a company's name (or alias) lists the articles about it: its filter, not its
// words, so an article tagged with it is found even if its text never names it.
const ENTITIES = JSON.parse(document.getElementById("entity-names").textContent || "{}");
let wordsOnly = false;
const ISSUE_TITLE = new Map(ISSUES.map((issue) => [issue.week, `${issue.title} (${issue.date})`]));
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
  wordsOnly = params.get("words") === "1";
  sort.value = params.get("sort") === "newest" ? "newest" : "relevance";
  for (const group of GROUPS) {
    selected[group] = new Set(params.getAll(group));
  }
}

function writeUrl() {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  if (sort.value === "newest") params.set("sort", "newest");
  if (wordsOnly) params.set("words", "1");
  for (const group of GROUPS) for (const value of selected[group]) params.append(group, value);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function filtersExcept(skip, company) {
  const filters = {};
  for (const group of GROUPS) {
    if (group !== skip && selected[group].size) filters[group] = { any: [...selected[group]] };
  }
  if (!company) return filters;
  if (!filters.entity) return { ...filters, entity: company };
  return { all: [filters, { entity: company }] }; // the company and one of the chosen ones
}

function companyOf(term) {
  if (!term || wordsOnly) return null;
  const key = term.replace(/^["“]|["”]$/g, "").trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(ENTITIES, key) ? ENTITIES[key] : null;
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
  const company = companyOf(term);
  const words = company ? null : term;
  const options = { filters: filtersExcept(null, company) };
  if (sort.value === "newest" || company) options.sort = { date: "desc" };
  const found = await module.search(words, options);
  // Counts per group, as if that group had no selection: other values never drop to 0.
  const counts = {};
  for (const group of GROUPS) {
    if (!selected[group].size) continue;
    const others = await module.search(words, { filters: filtersExcept(group, company) });
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
  if (company) {
    statusLine.replaceChildren(
      `${results.length} ${results.length === 1 ? "article" : "articles"} about ${company}, newest first. `,
    );
    const instead = document.createElement("a");
    instead.href = `?q=${encodeURIComponent(term)}&words=1`;
    instead.textContent = `Search for the words “${term}” instead`;
    instead.addEventListener("click", (event) => {
      event.preventDefault();
      wordsOnly = true;
      search();
    });
    statusLine.append(instead);
    return;
  }
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

function label(group, name) {
  return group === "issue" ? ISSUE_TITLE.get(name) || name : name;
}

// The active filters as chips: one click removes one, "Clear all" removes them all.
function renderChips() {
  chips.replaceChildren();
  for (const group of GROUPS) {
    for (const name of selected[group]) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.setAttribute("aria-label", `Remove filter ${LABELS[group]}: ${label(group, name)}`);
      const x = document.createElement("span");
      x.className = "x";
      x.setAttribute("aria-hidden", "true");
      x.textContent = "×";
      chip.append(`${LABELS[group]}: ${label(group, name)}`, x);
      chip.addEventListener("click", () => {
        selected[group].delete(name);
        search();
      });
      chips.append(chip);
    }
  }
  if (chips.children.length) {
    const clear = document.createElement("button");
    clear.type = "button";
    clear.className = "clear";
    clear.textContent = "Clear all";
    clear.addEventListener("click", () => {
      for (const group of GROUPS) selected[group].clear();
      search();
    });
    chips.append(clear);
  }
  chips.hidden = !chips.children.length;
}

function renderFilters(available, counts) {
  filtersBox.replaceChildren();
  renderChips();
  for (const group of GROUPS) {
    const values = { ...(available[group] || {}), ...(counts[group] || {}) };
    for (const value of selected[group]) if (!(value in values)) values[value] = 0;
    const isOn = (name) => (selected[group].has(name) ? 1 : 0);
    // An option that would find nothing is not offered (unless it is on, to be turned off).
    const byIssueDate = (a, b) => (ISSUE_ORDER.get(a) ?? 1e9) - (ISSUE_ORDER.get(b) ?? 1e9);
    const names = Object.keys(values)
      .filter((name) => values[name] > 0 || isOn(name))
      .sort((a, b) =>
        group === "issue"
          ? byIssueDate(a, b) || a.localeCompare(b)
          : isOn(b) - isOn(a) || values[b] - values[a] || a.localeCompare(b),
      );
    if (!names.length) continue;
    const box = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = LABELS[group];
    box.append(legend);
    for (const name of names) {
      const option = document.createElement("label");
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
      option.append(check, ` ${label(group, name)} `, count);
      box.append(option);
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
  wordsOnly = false;
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
