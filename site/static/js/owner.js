// owner.js: the owner's controls on their image page. Edit caption and shop link
// in place (PATCH), delete after a confirmation (DELETE: a hide), then Undo
// (POST …/restore) for as long as the retention lasts. Without this script the
// same controls are plain forms. User text reaches the DOM through textContent.

import { api, safeHref } from "./api.js";

const panel = document.querySelector("[data-owner-panel]");

function show(element, message) {
  if (!element) return;
  element.textContent = message || "";
  element.hidden = !message;
}

function showCard(card) {
  const caption = document.querySelector("[data-caption]");
  caption.textContent = card.caption;
  caption.hidden = !card.caption;
  const shop = document.querySelector("[data-shop]");
  if (shop) {
    shop.hidden = !card.shop;
    if (card.shop) {
      shop.href = safeHref(card.shop.url);
      shop.querySelector("[data-shop-title]").textContent = card.shop.title;
    }
  }
}

function setupEdit() {
  const form = panel.querySelector("[data-edit-form]");
  const details = panel.querySelector("[data-edit-details]");
  const errorBox = panel.querySelector("[data-edit-error]");
  const status = panel.querySelector("[data-owner-status]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[data-edit-save]");
    button.disabled = true;
    try {
      const card = await api(panel.dataset.imageApi, {
        method: "PATCH",
        json: {
          caption: form.elements.caption.value,
          shop_url: form.elements.shop_url.value,
          shop_title: form.elements.shop_title.value,
        },
      });
      showCard(card);
      show(errorBox, "");
      show(status, panel.dataset.msgSaved);
      details.open = false;
    } catch (error) {
      show(errorBox, error.message);
    } finally {
      button.disabled = false;
    }
  });
}

function setupDelete() {
  const form = panel.querySelector("[data-delete-form]");
  const undo = panel.querySelector("[data-undo-api]");
  const status = panel.querySelector("[data-owner-status]");
  const errorBox = panel.querySelector("[data-owner-error]");
  const details = panel.querySelector("[data-edit-details]");
  // deleted: the Undo button instead of the edit and delete controls, and the page dimmed
  const showDeleted = (deleted, message) => {
    show(errorBox, "");
    show(status, message);
    form.hidden = deleted;
    details.hidden = deleted;
    undo.hidden = !deleted;
    document.querySelector(".g-image-page").classList.toggle("is-deleted", deleted);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!window.confirm(panel.dataset.msgConfirm)) return;
    try {
      await api(panel.dataset.imageApi, { method: "DELETE" });
      showDeleted(true, panel.dataset.msgDeleted);
    } catch (error) {
      show(errorBox, error.message);
    }
  });
  undo.addEventListener("click", async () => {
    undo.disabled = true;
    try {
      await api(`${panel.dataset.imageApi}/restore`, { method: "POST" });
      showDeleted(false, panel.dataset.msgRestored);
    } catch (error) {
      show(errorBox, error.message);
    } finally {
      undo.disabled = false;
    }
  });
}

if (panel) {
  setupEdit();
  setupDelete();
}
