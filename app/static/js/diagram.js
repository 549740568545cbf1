// Draws the process diagram of a complaint with bpmn-js (served from /static/vendor, no
// network), marking the current step(s) and the steps already done. Without JavaScript, or
// if anything fails, the page keeps its text list of current steps and the download link.
(function () {
  "use strict";

  // Below this scale the labels are too small to read: zoom on the current step instead.
  var READABLE = 0.8;

  function ids(element, name) {
    try {
      var value = JSON.parse(element.getAttribute(name) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  }

  // The diagram names its lanes by role id (intake_agent) and its steps in English: show the
  // roles in words and the steps in the reader's language, as the page gives them in
  // data-lanes and data-names. The downloaded file keeps what the engine reads.
  function readNames(element, attribute) {
    try {
      return JSON.parse(element.getAttribute(attribute) || "{}");
    } catch (error) {
      return {};
    }
  }

  function inWords(xml, element) {
    var lanes = readNames(element, "data-lanes");
    var names = readNames(element, "data-names");
    if ((!Object.keys(lanes).length && !Object.keys(names).length) || !window.DOMParser) {
      return xml;
    }
    var doc = new window.DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) {
      return xml;
    }
    var model = "http://www.omg.org/spec/BPMN/20100524/MODEL";
    Array.prototype.forEach.call(doc.getElementsByTagNameNS(model, "*"), function (node) {
      var name = node.getAttribute("name");
      if (!name) {
        return;
      }
      var table = node.localName === "lane" ? lanes : names;
      // Names may break lines in the file (&#10;); the catalogue has them on one line.
      var key = name.replace(/\s+/g, " ");
      if (Object.prototype.hasOwnProperty.call(table, key)) {
        node.setAttribute("name", table[key]);
      }
    });
    return new window.XMLSerializer().serializeToString(doc);
  }

  function mark(viewer, list, marker) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    list.forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    });
  }

  // Centre the view on `target` at `scale` (diagram units per screen pixel, inverted).
  function focus(canvas, target, scale) {
    var outer = canvas.viewbox().outer;
    var width = outer.width / scale;
    var height = outer.height / scale;
    canvas.viewbox({
      x: target.x + target.width / 2 - width / 2,
      y: target.y + target.height / 2 - height / 2,
      width: width,
      height: height,
    });
  }

  function tools(element, canvas, target) {
    var bar = element.querySelector(".diagram-tools");
    if (!bar) {
      return;
    }
    var fit = bar.querySelector("[data-diagram-fit]");
    var current = bar.querySelector("[data-diagram-focus]");
    fit.addEventListener("click", function () {
      canvas.zoom("fit-viewport", "auto");
    });
    if (target) {
      current.addEventListener("click", function () {
        focus(canvas, target, READABLE);
      });
    } else {
      current.hidden = true;
    }
    bar.hidden = false;
  }

  function show(element) {
    var container = element.querySelector(".bpmn-canvas");
    if (!container || typeof window.BpmnJS !== "function" || !window.fetch) {
      return;
    }
    element.classList.add("diagram-loading");
    var viewer = new window.BpmnJS({ container: container });
    window
      .fetch(element.getAttribute("data-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/xml" },
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("diagram request failed: " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(inWords(xml, element));
      })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var current = ids(element, "data-current");
        mark(viewer, ids(element, "data-done"), "done");
        mark(viewer, current, "current");
        var target = current.map(function (id) {
          return registry.get(id);
        }).filter(Boolean)[0];
        canvas.zoom("fit-viewport", "auto");
        if (target && canvas.zoom() < READABLE) {
          focus(canvas, target, READABLE);
        }
        tools(element, canvas, target);
        element.classList.remove("diagram-loading");
        element.classList.add("diagram-ready");
      })
      .catch(function (error) {
        element.classList.remove("diagram-loading");
        viewer.destroy();
        if (window.console) {
          window.console.warn("The process diagram could not be drawn:", error);
        }
      });
  }

  function start() {
    var elements = document.querySelectorAll("[data-bpmn-diagram]");
    Array.prototype.forEach.call(elements, show);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
