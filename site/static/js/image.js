// image.js: the image page: post a comment without a reload, page through
// older comments, like/unlike and report. Errors are shown next to the
// control; user text reaches the DOM through textContent only.

import { api, fillSlot, formatDate, safeHref } from "./api.js";

const root = document.querySelector("[data-image-id]");
const imageId = root ? root.dataset.imageId : null;

function showMessage(element, message) {
  if (!element) return;
  element.textContent = message || "";
  element.hidden = !message;
}

function setCount(selector, value) {
  for (const element of document.querySelectorAll(selector)) element.textContent = String(value);
}

// ---------------------------------------------------------------- comments

const list = document.querySelector("[data-comments]");
const commentTemplate = document.getElementById("comment-template");

function buildComment(comment) {
  const node = commentTemplate.content.querySelector(".g-comment").cloneNode(true);
  node.dataset.id = String(comment.id);
  const author = fillSlot(node, "author", comment.author.username);
  author.href = safeHref(comment.author.url);
  const time = fillSlot(node, "time", formatDate(comment.created_at));
  time.dateTime = comment.created_at || "";
  fillSlot(node, "body", comment.body);
  const deleteForm = node.querySelector("[data-comment-delete-form]");
  if (deleteForm) deleteForm.action = `/comments/${encodeURIComponent(comment.id)}/delete`;
  return node;
}

function hasComment(id) {
  return Boolean(list.querySelector(`.g-comment[data-id="${CSS.escape(String(id))}"]`));
}

function setupMoreComments() {
  const more = document.querySelector("[data-comments-more]");
  const errorBox = document.querySelector("[data-comments-error]");
  if (!more || !list) return;
  more.addEventListener("click", async (event) => {
    event.preventDefault();
    more.classList.add("disabled");
    try {
      const params = new URLSearchParams({ cursor: more.dataset.cursor });
      const data = await api(`${list.dataset.api}?${params}`);
      // Older pages go before the comments posted from this page.
      const firstFresh = list.querySelector(".g-comment[data-fresh]");
      for (const comment of data.items) {
        if (hasComment(comment.id)) continue;
        list.insertBefore(buildComment(comment), firstFresh);
      }
      showMessage(errorBox, "");
      if (data.next_cursor) more.dataset.cursor = data.next_cursor;
      else more.remove();
    } catch (error) {
      showMessage(errorBox, error.message);
    } finally {
      more.classList.remove("disabled");
    }
  });
}

function setupCommentForm() {
  const form = document.querySelector("[data-comment-form]");
  if (!form || !list) return;
  const textarea = form.elements.body;
  const counter = form.querySelector("[data-counter]");
  const errorBox = form.querySelector("[data-comment-error]");
  const button = form.querySelector("[type=submit]");
  const max = Number(textarea.maxLength) || 1000;
  const updateCounter = () => {
    counter.textContent = `${textarea.value.length} / ${max}`;
  };
  textarea.addEventListener("input", updateCounter);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const comment = await api(`/api/images/${imageId}/comments`, {
        method: "POST",
        json: { body: textarea.value },
      });
      const node = buildComment(comment);
      node.dataset.fresh = "";
      node.classList.add("is-new");
      list.append(node);
      document.querySelector("[data-no-comments]")?.remove();
      const count = document.querySelector("[data-comment-count]");
      setCount("[data-comment-count]", Number(count.textContent) + 1);
      textarea.value = "";
      updateCounter();
      showMessage(errorBox, "");
    } catch (error) {
      showMessage(errorBox, error.message);
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- like

function setupLike() {
  const button = document.querySelector("[data-like]");
  const errorBox = document.querySelector("[data-like-error]");
  if (!button) return;
  button.addEventListener("click", async () => {
    const liked = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    try {
      const data = await api(`/api/images/${imageId}/like`, { method: liked ? "DELETE" : "POST" });
      button.setAttribute("aria-pressed", data.liked ? "true" : "false");
      button.classList.toggle("is-liked", data.liked);
      button.querySelector("[data-like-label]").textContent = data.liked
        ? button.dataset.labelLiked
        : button.dataset.labelLike;
      setCount("[data-like-count]", data.like_count);
      showMessage(errorBox, "");
    } catch (error) {
      showMessage(errorBox, error.message);
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- report

function setupReport() {
  const form = document.querySelector("[data-report-form]");
  if (!form) return;
  const errorBox = form.querySelector("[data-report-error]");
  const doneBox = form.querySelector("[data-report-done]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    try {
      await api("/api/reports", {
        method: "POST",
        json: {
          target: form.dataset.target,
          id: Number(form.dataset.id),
          reason: form.elements.reason.value,
          details: form.elements.details.value,
        },
      });
      showMessage(errorBox, "");
      showMessage(doneBox, form.dataset.msgDone);
      form.elements.reason.disabled = true;
      form.elements.details.disabled = true;
    } catch (error) {
      showMessage(errorBox, error.message);
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- comment menu

function setupCommentMenu() {
  if (!list) return;
  const form = document.querySelector("[data-report-form]");
  list.addEventListener("click", (event) => {
    const report = event.target.closest("[data-comment-report]");
    if (!report || !form) return;
    const comment = report.closest(".g-comment");
    form.dataset.target = "comment";
    form.dataset.id = comment.dataset.id;
    form.querySelector("[data-report-label]").textContent = form.dataset.labelComment;
    const quote = form.querySelector("[data-report-quote]");
    quote.textContent = comment.querySelector('[data-slot="body"]').textContent;
    quote.hidden = false;
    resetReportForm(form);
    window.bootstrap.Collapse.getOrCreateInstance(form, { toggle: false }).show();
    form.scrollIntoView({ block: "center" });
    form.elements.reason.focus();
  });
  document.querySelector("[data-report-image]")?.addEventListener("click", () => {
    if (!form || form.dataset.target === "image") return;
    form.dataset.target = "image";
    form.dataset.id = imageId;
    form.querySelector("[data-report-label]").textContent = form.dataset.labelImage;
    form.querySelector("[data-report-quote]").hidden = true;
    resetReportForm(form);
  });
  list.addEventListener("submit", async (event) => {
    const deleteForm = event.target.closest("[data-comment-delete-form]");
    if (!deleteForm) return;
    event.preventDefault();
    if (!window.confirm(deleteForm.dataset.confirm)) return;
    const comment = deleteForm.closest(".g-comment");
    const errorBox = document.querySelector("[data-comments-error]");
    try {
      await api(`/api/comments/${encodeURIComponent(comment.dataset.id)}`, { method: "DELETE" });
      comment.remove();
      const count = document.querySelector("[data-comment-count]");
      setCount("[data-comment-count]", Math.max(0, Number(count.textContent) - 1));
      showMessage(errorBox, "");
    } catch (error) {
      showMessage(errorBox, error.message);
    }
  });
}

function resetReportForm(form) {
  form.elements.reason.disabled = false;
  form.elements.details.disabled = false;
  form.elements.details.value = "";
  form.querySelector("[type=submit]").disabled = false;
  showMessage(form.querySelector("[data-report-done]"), "");
  showMessage(form.querySelector("[data-report-error]"), "");
}

if (root) {
  setupCommentMenu();
  setupMoreComments();
  setupCommentForm();
  setupLike();
  setupReport();
}
