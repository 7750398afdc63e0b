// captions.js: a caption as DOM nodes: its #tags become links to /t/<tag> and the
// searched words are wrapped in <mark>. Only createElement and textContent are used,
// so nothing the author wrote can become HTML. Mirrors gallery.media.captions.

const TAG = /(?<![\p{L}\p{N}_&#])#([\p{L}\p{N}][\p{L}\p{N}_]*)/gu;

function normaliseTag(name) {
  const folded = name.toLowerCase().slice(0, 64);
  return /^\p{N}+$/u.test(folded) ? null : folded;
}

function words(query) {
  const found = (query || "").toLowerCase().match(/[\p{L}\p{N}]+/gu) || [];
  return [...new Set(found)].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function appendMarked(parent, text, wanted) {
  if (!wanted.length) {
    parent.append(document.createTextNode(text));
    return;
  }
  const pattern = new RegExp(wanted.map(escapeRegExp).join("|"), "giu");
  let position = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > position) parent.append(document.createTextNode(text.slice(position, match.index)));
    const mark = document.createElement("mark");
    mark.textContent = match[0];
    parent.append(mark);
    position = match.index + match[0].length;
  }
  if (position < text.length) parent.append(document.createTextNode(text.slice(position)));
}

export function renderCaption(element, caption, query = "") {
  const text = caption || "";
  const wanted = words(query);
  element.replaceChildren();
  let position = 0;
  for (const match of text.matchAll(TAG)) {
    const name = normaliseTag(match[1]);
    if (!name) continue;
    if (match.index > position) appendMarked(element, text.slice(position, match.index), wanted);
    const link = document.createElement("a");
    link.className = "g-tag";
    link.href = `/t/${encodeURIComponent(name)}`;
    appendMarked(link, match[0], wanted);
    element.append(link);
    position = match.index + match[0].length;
  }
  if (position < text.length) appendMarked(element, text.slice(position), wanted);
  return element;
}
