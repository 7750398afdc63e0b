// discovery.js: tag autocomplete on caption fields ([data-tag-autocomplete], also those
// added later) and the
// follow button on profiles ([data-follow]). Text goes in through textContent only.

import { api } from "./api.js";

const CURRENT_TAG = /(?:^|[^\p{L}\p{N}_&#])#([\p{L}\p{N}][\p{L}\p{N}_]*)$/u;

function tagAutocomplete(input) {
  const list = document.createElement("ul");
  list.className = "g-tag-suggestions list-group";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.after(list);
  let timer = null;
  let request = null;

  const close = () => {
    list.hidden = true;
    list.replaceChildren();
  };

  function choose(name) {
    const before = input.value.slice(0, input.selectionStart ?? input.value.length);
    const after = input.value.slice(input.selectionStart ?? input.value.length);
    const match = before.match(CURRENT_TAG);
    if (!match) return;
    const start = before.length - match[1].length;
    input.value = `${before.slice(0, start)}${name} ${after.replace(/^\s+/, "")}`;
    const caret = start + name.length + 1;
    input.setSelectionRange(caret, caret);
    input.focus();
    close();
  }

  async function suggest() {
    const before = input.value.slice(0, input.selectionStart ?? input.value.length);
    const match = before.match(CURRENT_TAG);
    if (!match) return close();
    if (request) request.abort();
    request = new AbortController();
    try {
      const data = await api(`/api/tags?prefix=${encodeURIComponent(match[1])}`, {
        signal: request.signal,
      });
      list.replaceChildren();
      for (const item of data.items) {
        const option = document.createElement("li");
        option.className = "list-group-item list-group-item-action";
        option.setAttribute("role", "option");
        option.dataset.tag = item.name;
        option.textContent = `#${item.name} (${item.count})`;
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(item.name);
        });
        list.append(option);
      }
      list.hidden = !list.children.length;
    } catch (error) {
      if (error.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
    if ((event.key === "Tab" || event.key === "Enter") && !list.hidden && list.firstChild) {
      event.preventDefault();
      choose(list.firstChild.dataset.tag);
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}

function followButton(button) {
  const error = document.querySelector("[data-follow-error]");
  button.addEventListener("click", async () => {
    const following = button.dataset.following === "true";
    button.disabled = true;
    try {
      const data = await api(`/api/users/${encodeURIComponent(button.dataset.follow)}/follow`, {
        method: following ? "DELETE" : "POST",
      });
      button.dataset.following = String(data.following);
      button.textContent = data.following ? button.dataset.labelUnfollow : button.dataset.labelFollow;
      button.classList.toggle("btn-primary", !data.following);
      button.classList.toggle("btn-outline-secondary", data.following);
      const count = document.querySelector("[data-follower-count]");
      if (count) count.textContent = String(data.followers);
      if (error) error.hidden = true;
    } catch (failure) {
      if (error) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  });
}

// Caption fields may be added later (one per file on the upload page): each one is
// set up the first time it gets the focus.
const prepared = new WeakSet();
document.addEventListener("focusin", (event) => {
  const field = event.target.closest ? event.target.closest("[data-tag-autocomplete]") : null;
  if (!field || prepared.has(field)) return;
  prepared.add(field);
  tagAutocomplete(field);
});
document.querySelectorAll("[data-follow]").forEach(followButton);
