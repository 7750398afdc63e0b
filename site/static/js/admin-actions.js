// The Content-Security-Policy (no 'unsafe-inline') blocks inline event handlers and
// javascript: links. Our copies of Flask-Admin's actions.html and model/layout.html carry
// none; this file runs the "With selected" actions from data-model-action, and keeps the
// links that only open a menu or mark the current tab ("#", or javascript: in Flask-Admin's
// other templates) from navigating.
for (const link of document.querySelectorAll('a[href^="javascript:"]')) {
  link.setAttribute("href", "#");
}

document.addEventListener("click", (event) => {
  const action = event.target.closest("a[data-model-action]");
  if (action) {
    event.preventDefault();
    if (typeof window.modelActions !== "undefined") {
      window.modelActions.execute(action.dataset.modelAction);
    }
    return;
  }
  if (event.target.closest('a[href="#"]')) event.preventDefault();
});
