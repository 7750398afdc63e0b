// feed.js: the card grids. Lays cards out as a masonry grid, and where the grid
// has data-api and data-cursor, loads the next pages from the JSON API as the
// reader scrolls (IntersectionObserver), with a spinner, an end marker and a
// visible retry on errors. Cards are cloned from <template id="card-template">
// and user text goes in through textContent only.

import { api, fillSlot, formatDate, safeHref } from "./api.js";
import { renderCaption } from "./captions.js";

const PAGE_SIZE = 20;
const ROW_UNIT = 4; // px, matches grid-auto-rows in site.css
const MAX_RETRY_SECONDS = 30;

const BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

// The same rule as the server's placeholder_colour filter: a colour, or a
// blurhash's average colour, else grey.
export function placeholderColour(value) {
  if (typeof value === "string" && /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value)) return value;
  if (typeof value === "string" && value.length >= 6) {
    let number = 0;
    for (const ch of value.slice(2, 6)) {
      const index = BASE83.indexOf(ch);
      if (index < 0) return "#d9dce1";
      number = number * 83 + index;
    }
    if (number <= 0xffffff) return `#${number.toString(16).padStart(6, "0")}`;
  }
  return "#d9dce1";
}

export function buildCard(template, card, query = "") {
  const node = template.content.querySelector(".g-card").cloneNode(true);
  node.dataset.id = String(card.id);
  const width = Number(card.width) || 4;
  const height = Number(card.height) || 3;
  const link = node.querySelector('[data-slot="link"]');
  link.href = safeHref(card.url);
  link.style.aspectRatio = `${width} / ${height}`;
  link.style.backgroundColor = placeholderColour(card.placeholder);
  const img = node.querySelector('[data-slot="img"]');
  img.width = width;
  img.height = height;
  img.alt = card.caption || "";
  img.src = safeHref(card.thumb_url);
  renderCaption(node.querySelector('[data-slot="caption"]'), card.caption, query);
  const author = fillSlot(node, "author", card.author.username);
  if (author) author.href = safeHref(card.author.url); // profiles do not repeat the owner
  const time = fillSlot(node, "time", formatDate(card.created_at));
  time.dateTime = card.created_at || "";
  fillSlot(node, "views", card.views);
  fillSlot(node, "likes", card.like_count);
  fillSlot(node, "comment-count", card.comment_count);
  const shop = node.querySelector('[data-slot="shop"]');
  if (card.shop) {
    shop.href = safeHref(card.shop.url);
    fillSlot(shop, "shop-title", card.shop.title);
  } else {
    shop.remove();
  }
  const list = node.querySelector('[data-slot="comments"]');
  const model = list.querySelector('[data-slot="comment"]');
  model.remove();
  for (const comment of card.comments || []) {
    const item = model.cloneNode(true);
    const who = fillSlot(item, "comment-author", comment.author.username);
    who.href = safeHref(comment.author.url);
    fillSlot(item, "comment-body", comment.body);
    list.append(item);
  }
  if (!list.children.length) list.remove();
  return node;
}

// Masonry: each card spans as many small grid rows as its height needs.
function masonry(grid) {
  // the vertical space between cards equals the column gap of the CSS
  const gap = () => parseFloat(getComputedStyle(grid).columnGap) || 16;
  grid.classList.add("is-masonry");
  const observer = new ResizeObserver((entries) => {
    const space = gap();
    for (const entry of entries) {
      const height = entry.target.getBoundingClientRect().height;
      entry.target.style.gridRowEnd = `span ${Math.ceil((height + space) / ROW_UNIT)}`;
    }
  });
  const watch = (card) => observer.observe(card);
  grid.querySelectorAll(".g-card").forEach(watch);
  return watch;
}

function infiniteScroll(grid, watch) {
  const apiUrl = grid.dataset.api;
  const template = document.getElementById("card-template");
  let cursor = grid.dataset.cursor;
  if (!apiUrl || !cursor || !template) return;
  const status = document.querySelector("[data-feed-status]");
  const moreLink = document.querySelector("[data-feed-more]");
  if (moreLink) moreLink.hidden = true;
  const msg = grid.dataset;
  const seen = new Set(Array.from(grid.querySelectorAll(".g-card"), (card) => card.dataset.id));
  const sentinel = document.createElement("div");
  sentinel.className = "g-sentinel";
  sentinel.setAttribute("aria-hidden", "true");
  status.before(sentinel);
  let loading = false;
  let failures = 0;
  let retryTimer = null;
  grid.dataset.pages = "1";

  const setStatus = (...children) => status.replaceChildren(...children);
  const text = (value, className) => {
    const span = document.createElement("span");
    span.textContent = value;
    if (className) span.className = className;
    return span;
  };
  const spinner = () => {
    const span = document.createElement("span");
    span.className = "g-spinner";
    span.setAttribute("aria-hidden", "true");
    return span;
  };

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadNext();
    },
    { rootMargin: "0px 0px 600px 0px" },
  );

  function showError(error) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "btn btn-sm btn-outline-danger";
    retry.textContent = msg.msgRetry;
    retry.addEventListener("click", () => {
      clearTimeout(retryTimer);
      retryTimer = null;
      loadNext();
    });
    const parts = [text(`${msg.msgError} ${error.message}`, "g-feed-error"), retry];
    // Network trouble and server errors heal by themselves: try again with back-off.
    if (error.isNetwork || error.status >= 500) {
      const seconds = Math.min(MAX_RETRY_SECONDS, 2 ** failures);
      const countdown = text(msg.msgRetrying.replace("{s}", seconds), "g-feed-retrying");
      parts.splice(1, 0, countdown);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        loadNext();
      }, seconds * 1000);
    }
    status.dataset.state = "error";
    setStatus(...parts);
  }

  async function loadNext() {
    if (loading || !cursor || retryTimer) return;
    loading = true;
    status.dataset.state = "loading";
    setStatus(spinner(), text(msg.msgLoading));
    try {
      const url = new URL(apiUrl, window.location.origin);
      url.searchParams.set("cursor", cursor);
      url.searchParams.set("limit", String(PAGE_SIZE));
      const data = await api(`${url.pathname}${url.search}`);
      const added = [];
      for (const card of data.items) {
        if (seen.has(String(card.id))) continue;
        seen.add(String(card.id));
        added.push(buildCard(template, card, grid.dataset.highlight || ""));
      }
      grid.append(...added);
      added.forEach(watch);
      cursor = data.next_cursor;
      grid.dataset.cursor = cursor || "";
      grid.dataset.pages = String(Number(grid.dataset.pages) + 1);
      failures = 0;
      if (cursor) {
        status.dataset.state = "idle";
        setStatus();
      } else {
        observer.disconnect();
        status.dataset.state = "end";
        setStatus(text(msg.msgEnd, "g-feed-end"));
      }
    } catch (error) {
      failures += 1;
      showError(error);
      return;
    } finally {
      loading = false;
    }
    if (cursor) {
      // Re-observe: fires again at once if the sentinel is still on screen.
      observer.unobserve(sentinel);
      observer.observe(sentinel);
    }
  }

  observer.observe(sentinel);
}

for (const grid of document.querySelectorAll("[data-feed]")) {
  const watch = masonry(grid);
  infiniteScroll(grid, watch);
}
