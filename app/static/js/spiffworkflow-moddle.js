// The SpiffWorkflow extension elements our diagrams use, described for bpmn-js (moddle), so
// that importing and exporting a diagram in the editor keeps them. Once the namespace is
// registered, an element of it that is not described here is dropped on import: the editor
// warns when that happens (see editor.js).
(function () {
  "use strict";

  function body(name) {
    return {
      name: name,
      superClass: ["Element"],
      properties: [{ name: "value", type: "String", isBody: true }],
    };
  }

  window.SPIFFWORKFLOW_MODDLE = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      {
        name: "Properties",
        superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }],
      },
      {
        name: "Property",
        superClass: ["Element"],
        properties: [
          { name: "name", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true },
        ],
      },
      body("InstructionsForEndUser"),
      body("PreScript"),
      body("PostScript"),
      body("CalledDecisionId"),
      body("MessagePayload"),
      body("MessageVariable"),
    ],
  };
})();
