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
// On a phone a card wider than the screen scrolls sideways (app.css): keyboard users reach
// it to scroll it (a table of dates has nothing else to focus), and it is named by its heading.
const scrollables = function () {
  for (const box of document.querySelectorAll("main .card, main .table-scroll")) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.scrollFocus = "";
      const heading = box.querySelector("h2, h3");
      if (heading && !box.hasAttribute("role")) {
        heading.id = heading.id || "scroll-heading-" + Math.random().toString(36).slice(2);
        box.setAttribute("role", "region");
        box.setAttribute("aria-labelledby", heading.id);
        box.dataset.scrollRegion = "";
      }
    } else if (!scrolls && "scrollFocus" in box.dataset) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrollFocus;
      if ("scrollRegion" in box.dataset) {
        box.removeAttribute("role");
        box.removeAttribute("aria-labelledby");
        delete box.dataset.scrollRegion;
      }
    }
  }
};
scrollables();
window.addEventListener("resize", scrollables);
