// api.js: a small fetch wrapper for the JSON API: sends the CSRF token from
// <meta name="csrf-token"> on unsafe methods and turns {"error","message"}
// answers (and network failures) into an ApiError with a message for a person.
// Pages a visitor may get from a cache carry no token (it would need a session
// cookie); the first unsafe request fetches one from /api/csrf-token.

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 for a network failure
    this.code = code;
  }

  get isNetwork() {
    return this.status === 0;
  }
}

// English fallbacks; the layout renders the translated ones as JSON in #ui-texts.
const FALLBACK_TEXTS = {
  network_error: "The network is not answering. Check your connection.",
  server_answered: "The server answered %(status)s.",
};
let uiTexts = null;

function uiText(key) {
  if (uiTexts === null) {
    uiTexts = {};
    const blob = document.getElementById("ui-texts");
    try {
      uiTexts = blob ? JSON.parse(blob.textContent) || {} : {};
    } catch {
      uiTexts = {};
    }
  }
  return typeof uiTexts[key] === "string" ? uiTexts[key] : FALLBACK_TEXTS[key];
}

export async function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const response = await fetch("/api/csrf-token", {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const token = response.ok ? (await response.json()).csrf_token : "";
  if (meta && token) meta.content = token;
  return token || "";
}

export async function api(url, { method = "GET", json, body, signal } = {}) {
  method = method.toUpperCase();
  const headers = { Accept: "application/json" };
  if (!SAFE_METHODS.has(method)) {
    try {
      headers["X-CSRFToken"] = await csrfToken();
    } catch {
      throw new ApiError(0, "network_error", uiText("network_error"));
    }
  }
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body, signal, credentials: "same-origin" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", uiText("network_error"));
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const code = (data && data.error) || `http_${response.status}`;
    const message =
      (data && data.message) ||
      uiText("server_answered").replace("%(status)s", String(response.status));
    throw new ApiError(response.status, code, message);
  }
  return data;
}

// Fill `element`'s [data-slot=name] child with text (never HTML).
export function fillSlot(element, name, text) {
  const slot = element.querySelector(`[data-slot="${name}"]`);
  if (slot) slot.textContent = text == null ? "" : String(text);
  return slot;
}

// A short date in the page's language, like the server's card_date filter.
export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleDateString(document.documentElement.lang || undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
  });
}

// A local path or an http(s) URL; anything else (javascript:, data:) becomes "#".
export function safeHref(url) {
  if (typeof url !== "string" || url === "") return "#";
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "#";
  } catch {
    return "#";
  }
}
