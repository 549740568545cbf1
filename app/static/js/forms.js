// Validation looks the same everywhere: the server answers with the page's error summary
// (macros.html error_summary), so the browser's own pop-ups are turned off on every form.
// Without JavaScript the `required` hints still work as the browser shows them.
for (const form of document.querySelectorAll("form")) {
  form.noValidate = true;
}
// The error summary takes the focus, so keyboard and screen-reader users start from it.
const summary = document.querySelector(".error-summary");
if (summary && !summary.hasAttribute("tabindex")) {
  summary.setAttribute("tabindex", "-1");
  summary.focus();
}
