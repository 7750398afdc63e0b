// Flask-Admin's "With selected" menu runs its actions from onclick attributes, which
// the Content-Security-Policy (no 'unsafe-inline') blocks; the same call, from a file.
document.addEventListener("click", (event) => {
  const item = event.target.closest("a.dropdown-item[onclick]");
  const match = item && /modelActions\.execute\('([\w-]+)'\)/.exec(item.getAttribute("onclick"));
  if (!match || typeof window.modelActions === "undefined") return;
  event.preventDefault();
  window.modelActions.execute(match[1]);
});
