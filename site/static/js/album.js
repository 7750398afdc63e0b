// album.js: the owner's tools on an album page. Reorder by drag and drop (or the
// arrow buttons) and save the order with PATCH; take an image out and delete the
// album after a confirmation. Without this script the forms post as usual.

import { api } from "./api.js";

const panel = document.querySelector("[data-album-owner]");

function show(element, message) {
  if (!element) return;
  element.textContent = message || "";
  element.hidden = !message;
}

function setupOrder() {
  const list = panel.querySelector("[data-album-order]");
  if (!list) return;
  const status = panel.querySelector("[data-order-status]");
  const errorBox = panel.querySelector("[data-order-error]");
  let dragged = null;

  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".g-order-item");
    if (!dragged) return;
    dragged.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.imageId);
  });
  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const over = event.target.closest(".g-order-item");
    if (!over || over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
    show(status, "");
  });
  list.addEventListener("drop", (event) => event.preventDefault());
  list.addEventListener("dragend", () => {
    dragged?.classList.remove("is-dragging");
    dragged = null;
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-move]");
    if (!button) return;
    const item = button.closest(".g-order-item");
    if (button.dataset.move === "-1" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === "1" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
    show(status, "");
  });
  list.addEventListener("submit", async (event) => {
    const form = event.target.closest("[data-remove-form]");
    if (!form) return;
    event.preventDefault();
    const item = form.closest(".g-order-item");
    try {
      await api(`${panel.dataset.albumApi}/images`, {
        method: "DELETE",
        json: { image_ids: [Number(item.dataset.imageId)] },
      });
      item.remove();
      document.querySelector(`.g-card[data-id="${CSS.escape(item.dataset.imageId)}"]`)?.remove();
      show(errorBox, "");
    } catch (error) {
      show(errorBox, error.message);
    }
  });
  panel.querySelector("[data-save-order]").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    const order = Array.from(list.children, (item) => Number(item.dataset.imageId));
    try {
      await api(panel.dataset.albumApi, { method: "PATCH", json: { order } });
      show(errorBox, "");
      show(status, panel.dataset.msgSaved);
      // The grid below follows the saved order at once.
      const grid = document.querySelector("[data-feed]");
      for (const id of order) {
        const card = grid?.querySelector(`.g-card[data-id="${id}"]`);
        if (card) grid.append(card);
      }
    } catch (error) {
      show(errorBox, error.message);
    } finally {
      button.disabled = false;
    }
  });
}

function setupDelete() {
  const form = panel.querySelector("[data-album-delete]");
  form?.addEventListener("submit", (event) => {
    if (!window.confirm(panel.dataset.msgConfirm)) event.preventDefault();
  });
}

if (panel) {
  setupOrder();
  setupDelete();
}
