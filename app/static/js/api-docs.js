// The API reference (/api/docs): Swagger UI draws the OpenAPI document the API publishes.
// Loaded as a file, not inline, so the strict Content-Security-Policy holds.
(function () {
  "use strict";
  const root = document.getElementById("api-reference");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return; // without the library the page keeps its link to the document
  }
  window.SwaggerUIBundle({
    url: root.dataset.document,
    domNode: root,
    // Off: its links inside each operation's summary button are controls nested in a
    // control, which keyboard and screen-reader users cannot reach (axe: nested-interactive).
    deepLinking: false,
    // No badge from validator.swagger.io: nothing is fetched from another site.
    validatorUrl: null,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    // Plain examples: the highlighter's theme paints some tokens below AA contrast.
    syntaxHighlight: false,
  });
  // Swagger UI draws the server choice (and may draw other selects) inside a label with no
  // text: name each such select, in the page's language.
  const label = function () {
    root.querySelectorAll("select:not([aria-label]):not([aria-labelledby])").forEach(function (select) {
      const named = Array.prototype.some.call(select.labels || [], function (element) {
        return element.textContent.replace(select.textContent, "").trim() !== "";
      });
      if (!named) {
        const server = select.closest(".servers") !== null;
        select.setAttribute("aria-label", server ? root.dataset.serverLabel : root.dataset.choiceLabel);
      }
    });
  };
  // An example wider than its box scrolls: keyboard users reach it to scroll it.
  const scrollable = function () {
    root.querySelectorAll(".highlight-code pre:not([tabindex]), pre.example:not([tabindex])").forEach(function (pre) {
      pre.setAttribute("tabindex", "0");
    });
  };
  // The authorisation dialog: its close button has no name, and its buttons' names do not
  // contain the words they show (speech users say what they see).
  const buttons = function () {
    root.querySelectorAll(".close-modal:not([aria-label])").forEach(function (button) {
      button.setAttribute("aria-label", root.dataset.closeLabel);
    });
    root.querySelectorAll(".modal-ux button[aria-label]").forEach(function (button) {
      const shown = button.textContent.trim();
      if (shown && button.getAttribute("aria-label").indexOf(shown) === -1) {
        button.removeAttribute("aria-label");
      }
    });
  };
  new MutationObserver(buttons).observe(root, { childList: true, subtree: true });
  new MutationObserver(scrollable).observe(root, { childList: true, subtree: true });
  new MutationObserver(label).observe(root, { childList: true, subtree: true });
})();
