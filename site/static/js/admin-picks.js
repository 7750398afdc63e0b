// The picks grid (templates/admin/picks.html): search as you type and "More images"
// through the admin's JSON endpoint, keeping the images already chosen. Captions and
// names reach the page through textContent only.

const search = document.querySelector("[data-picks-search]");
const grid = document.querySelector("[data-picks-grid]");
const texts = JSON.parse(document.getElementById("picks-texts")?.textContent || "{}");

function chosenIds() {
  return new Set(
    [...grid.querySelectorAll("input[name=image_id]:checked")].map((box) => box.value),
  );
}

function showChosen() {
  const label = document.querySelector("[data-picks-chosen]");
  const n = chosenIds().size;
  if (label) label.textContent = n ? (texts.chosen || "{n} chosen").replace("{n}", n) : "";
}

function choice(item) {
  const label = document.createElement("label");
  label.className = "pick-choice";
  label.dataset.image = item.id;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "image_id";
  box.value = item.id;
  box.setAttribute("form", "pick-add");
  const thumb = document.createElement(item.thumb_url ? "img" : "span");
  thumb.className = "thumb";
  if (item.thumb_url) {
    thumb.src = item.thumb_url;
    thumb.alt = "";
    thumb.loading = "lazy";
  }
  const caption = document.createElement("span");
  caption.className = "pick-caption";
  caption.textContent = `#${item.id} ${item.caption}`.slice(0, 48);
  const author = document.createElement("span");
  author.className = "pick-author";
  author.textContent = item.author;
  label.append(box, thumb, caption, author);
  return label;
}

function moreButton() {
  return document.querySelector("[data-picks-more]");
}

function setMore(cursor, query) {
  let more = moreButton();
  if (!cursor) {
    more?.remove();
    return;
  }
  if (!more) {
    more = document.createElement("a");
    more.className = "btn btn-sm btn-outline-secondary mt-2";
    more.dataset.picksMore = "";
    more.textContent = texts.more || "More";
    document.querySelector("[data-picks-empty]").after(more);
  }
  more.dataset.cursor = cursor;
  more.dataset.query = query;
  const url = new URL(search.action, location.href);
  if (query) url.searchParams.set("q", query);
  url.searchParams.set("cursor", cursor);
  more.href = url.pathname + url.search;
}

async function load(query, cursor) {
  const url = new URL(search.dataset.endpoint, location.href);
  if (query) url.searchParams.set("q", query);
  if (cursor) url.searchParams.set("cursor", cursor);
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

let latest = 0;

async function refresh(query, cursor) {
  const ticket = ++latest;
  let page;
  try {
    page = await load(query, cursor);
  } catch {
    if (ticket === latest) grid.setAttribute("data-error", texts.error || "error");
    return;
  }
  if (ticket !== latest) return; // a newer search has started
  grid.removeAttribute("data-error");
  const chosen = chosenIds();
  if (!cursor) {
    // keep the chosen images, drop the rest
    for (const label of [...grid.children]) {
      if (!chosen.has(label.dataset.image)) label.remove();
    }
  }
  const shown = new Set([...grid.children].map((label) => label.dataset.image));
  for (const item of page.items) {
    if (!shown.has(String(item.id))) grid.append(choice(item));
  }
  document
    .querySelector("[data-picks-empty]")
    .classList.toggle("d-none", grid.children.length > 0);
  setMore(page.next_cursor, query);
}

if (search && grid) {
  const input = search.querySelector("input[name=q]");
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(input.value.trim(), null), 250);
  });
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    refresh(input.value.trim(), null);
  });
  document.addEventListener("click", (event) => {
    const more = event.target.closest("[data-picks-more]");
    if (!more) return;
    event.preventDefault();
    refresh(more.dataset.query ?? input.value.trim(), more.dataset.cursor);
  });
  grid.addEventListener("change", showChosen);
  showChosen();
}
