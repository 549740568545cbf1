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
    deepLinking: true,
    // No badge from validator.swagger.io: nothing is fetched from another site.
    validatorUrl: null,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
  });
})();
