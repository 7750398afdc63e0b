// Small behaviours of every page, kept out of the HTML so the Content-Security-Policy
// needs no 'unsafe-inline': image boxes get their aspect ratio and placeholder colour
// (data-ratio, data-bg) through the CSSOM, and "Go back" buttons go back.
export function sizeBoxes(root = document) {
  for (const box of root.querySelectorAll("[data-ratio]")) {
    box.style.aspectRatio = box.dataset.ratio;
    if (box.dataset.bg) box.style.backgroundColor = box.dataset.bg;
  }
}

sizeBoxes();
for (const button of document.querySelectorAll("[data-history-back]")) {
  button.addEventListener("click", () => history.back());
}
