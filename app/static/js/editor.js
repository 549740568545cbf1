// The process owner's editor: one tab per file of a version (bpmn-js Modeler for BPMN,
// dmn-js Modeler on the decision table for DMN), a side panel for the selected user task
// (name, form, role = lane, due time), the form designer of its form (fields, rules, preview),
// the choice lists, and Validate / Deploy / What-if, which send the edited files, every form
// definition and the lists to the server and show its problems on the diagram, in the
// designer and beside the values of the lists. Everything is served
// from /static/vendor: nothing is fetched from the network.
(function () {
  "use strict";

  var root = document.getElementById("editor");
  var configNode = document.getElementById("editor-config");
  if (!root || !configNode || typeof window.BpmnJS !== "function") {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var messages = config.messages;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var READABLE = 0.9; // zoom level at which a task's label reads well
  var ISO_DURATION =
    /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
  // A service-level timer also takes a time limit on the business calendar or a clock's
  // target (services.engine.sandbox's TIME_LIMIT_HELPERS), written as code, not as a string:
  // the procedure's own timers read target("resolve_minor").
  var TIME_LIMIT = new RegExp(
    "^(target\\(\\s*([\"'])\\w+\\2\\s*\\)" +
      "|(working_days|working_hours|calendar_days|days|hours|weeks|months)" +
      "\\(\\s*\\d+\\s*(,\\s*saturdays\\s*=\\s*(True|False)\\s*)?\\))$"
  );

  var editors = []; // {name, kind, pane, tab, modeler}
  var current = null; // the editor whose tab is shown
  var marked = []; // {editor, id} marked as having a problem

  function t(key, values) {
    return (messages[key] || key).replace(/%\((\w+)\)s/g, function (match, name) {
      return values && name in values ? String(values[name]) : match;
    });
  }

  function $(selector) {
    return root.querySelector(selector);
  }

  function say(text, kind) {
    var box = $("#editor-status");
    box.textContent = text;
    box.className = "editor-status" + (kind ? " editor-status-" + kind : "");
    box.hidden = !text;
  }

  function is(element, type) {
    var bo = element && element.businessObject;
    return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  function postJSON(url, payload) {
    return window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf,
        },
        body: JSON.stringify(payload),
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            return { status: response.status, body: body };
          });
      });
  }

  // ---- loading ---------------------------------------------------------------------------

  function load(pane) {
    var editor = {
      name: pane.getAttribute("data-file"),
      kind: pane.getAttribute("data-kind"),
      pane: pane,
      tab: root.querySelector('[role="tab"][aria-controls="' + pane.id + '"]'),
    };
    editors.push(editor);
    editor.tab.addEventListener("click", function () {
      show(editor);
    });
    return window
      .fetch(pane.getAttribute("data-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/xml" },
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status + " " + response.statusText);
        }
        return response.text();
      })
      .then(function (xml) {
        return wordsLoaded.then(function () {
          return editor.kind === "dmn" ? openDmn(editor, xml) : openBpmn(editor, xml);
        });
      })
      .then(function (result) {
        var lost = (result && result.warnings) || [];
        if (lost.length) {
          var list = lost.map(function (w) {
            return w.message;
          });
          showNotice(t("lostContent", { file: editor.name }), list);
        }
      });
  }

  // bpmn-js and dmn-js ask their `translate` service for every word they show: answer from
  // the dictionary of the reader's language (config.library: a static JSON file, the
  // libraries' exact English to the reader's words; none for English), filling in
  // {placeholders} as theirs does ("{ example }" too, which theirs leaves as it is).
  var words = {};
  var wordsLoaded = config.library
    ? window
        .fetch(config.library, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
        .then(function (response) {
          return response.ok ? response.json() : {};
        })
        .then(function (dictionary) {
          words = dictionary || {};
        })
        .catch(function () {
          words = {}; // the libraries' English rather than no editor
        })
    : Promise.resolve();

  function translate(template, replacements) {
    var text = Object.prototype.hasOwnProperty.call(words, template) ? words[template] : template;
    return String(text).replace(/{([^}]+)}/g, function (match, key) {
      var name = key.trim();
      return replacements && name in replacements ? String(replacements[name]) : match;
    });
  }
  var translation = { translate: ["value", translate] };

  function openBpmn(editor, xml) {
    editor.modeler = new window.BpmnJS({
      container: editor.pane,
      moddleExtensions: { spiffworkflow: window.SPIFFWORKFLOW_MODDLE },
      additionalModules: [translation],
    });
    return editor.modeler.importXML(xml).then(function (result) {
      editor.modeler.get("canvas").zoom("fit-viewport", "auto");
      editor.modeler.on("selection.changed", function () {
        fillPanel(editor);
      });
      editor.modeler.on("elements.changed", function () {
        if (current === editor) {
          fillPanel(editor);
        }
      });
      return result;
    });
  }

  function openDmn(editor, xml) {
    // Each view takes its own modules (dmn-js drops `common.additionalModules`).
    editor.modeler = new window.DmnJS({
      container: editor.pane,
      drd: { additionalModules: [translation] },
      decisionTable: { additionalModules: [translation] },
      literalExpression: { additionalModules: [translation] },
      boxedExpression: { additionalModules: [translation] },
    });
    return editor.modeler.importXML(xml).then(function (result) {
      var table = editor.modeler.getViews().filter(function (view) {
        return view.type === "decisionTable";
      })[0];
      return (table ? editor.modeler.open(table) : Promise.resolve()).then(function () {
        return result;
      });
    });
  }

  function show(editor) {
    current = editor;
    editors.forEach(function (other) {
      var active = other === editor;
      other.pane.classList.toggle("is-active", active);
      other.tab.setAttribute("aria-selected", active ? "true" : "false");
      other.tab.tabIndex = active ? 0 : -1;
    });
    $("#task-panel").hidden = editor.kind !== "bpmn";
    $("#table-panel").hidden = editor.kind !== "dmn";
    if (editor.kind === "bpmn") {
      fillPanel(editor);
    } else {
      markDmn(editor);
    }
  }

  function showNotice(text, items) {
    var box = $("#editor-notice");
    box.textContent = text;
    if (items && items.length) {
      var list = document.createElement("ul");
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item;
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    box.hidden = false;
  }

  function exportFiles() {
    var files = {};
    return Promise.all(
      editors.map(function (editor) {
        return editor.modeler.saveXML({ format: true }).then(function (result) {
          files[editor.name] = result.xml;
        });
      })
    ).then(function () {
      return files;
    });
  }

  // ---- the side panel: the selected user task ------------------------------------------------

  function selectedTask(editor) {
    var selection = editor.modeler.get("selection").get();
    return selection.length === 1 && is(selection[0], "bpmn:UserTask") ? selection[0] : null;
  }

  function spiffProperties(bo) {
    var extension = bo.get("extensionElements");
    var values = (extension && extension.get("values")) || [];
    return values.filter(function (value) {
      return value.$instanceOf("spiffworkflow:Properties");
    })[0];
  }

  function property(bo, name) {
    var properties = spiffProperties(bo);
    var found = ((properties && properties.get("properties")) || []).filter(function (p) {
      return p.name === name;
    })[0];
    return found ? found.value || "" : "";
  }

  function setProperty(editor, element, name, value) {
    var moddle = editor.modeler.get("moddle");
    var modeling = editor.modeler.get("modeling");
    var bo = element.businessObject;
    var extension = bo.get("extensionElements");
    if (!extension) {
      extension = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateProperties(element, { extensionElements: extension });
    }
    var properties = spiffProperties(bo);
    if (!properties) {
      properties = moddle.create("spiffworkflow:Properties", { properties: [] });
      modeling.updateModdleProperties(element, extension, {
        values: extension.get("values").concat([properties]),
      });
    }
    var list = properties.get("properties");
    var found = list.filter(function (p) {
      return p.name === name;
    })[0];
    if (!value) {
      if (found) {
        modeling.updateModdleProperties(element, properties, {
          properties: list.filter(function (p) {
            return p !== found;
          }),
        });
      }
    } else if (found) {
      modeling.updateModdleProperties(element, found, { value: value });
    } else {
      var created = moddle.create("spiffworkflow:Property", { name: name, value: value });
      modeling.updateModdleProperties(element, properties, { properties: list.concat([created]) });
    }
  }

  // The non-interrupting timer on the task that sets its service level, if it has one.
  function serviceTimer(element) {
    var attached = (element.attachers || []).filter(function (attacher) {
      var definition = timerDefinition(attacher);
      return definition && definition.get("timeDuration");
    })[0];
    // A task's own dueIn is more specific than the clock of the subprocess around it.
    if (attached || property(element.businessObject, "dueIn")) {
      return attached;
    }
    return clockTimer(element.parent);
  }

  // The clock branch of a subprocess: a timer on a parallel branch (not after an event-based
  // gateway, where a timer is a wait) covers every task inside, as the services read it.
  function clockTimer(parent) {
    if (!parent || !is(parent, "bpmn:SubProcess")) {
      return null;
    }
    return (parent.children || []).filter(function (child) {
      var definition = is(child, "bpmn:IntermediateCatchEvent") && timerDefinition(child);
      var afterGateway = (child.incoming || []).some(function (flow) {
        return is(flow.source, "bpmn:EventBasedGateway");
      });
      return definition && definition.get("timeDuration") && !afterGateway;
    })[0];
  }

  function timerDefinition(element) {
    if (!is(element, "bpmn:BoundaryEvent") && !is(element, "bpmn:IntermediateCatchEvent")) {
      return null;
    }
    return (element.businessObject.get("eventDefinitions") || []).filter(function (d) {
      return d.$instanceOf("bpmn:TimerEventDefinition");
    })[0];
  }

  // Timer fields are Python expressions: "P5D" with its quotes is the literal duration.
  function unquote(text) {
    var value = (text || "").trim();
    var quoted = /^(["'])(.*)\1$/.exec(value);
    return quoted ? quoted[2] : value;
  }

  function laneOf(element) {
    var lanes = element.businessObject.get("lanes") || [];
    return lanes.length ? lanes[0].name || lanes[0].id : "";
  }

  function fillPanel(editor) {
    if (current !== editor) {
      return;
    }
    var element = selectedTask(editor);
    $("[data-panel-empty]").hidden = Boolean(element);
    $("[data-panel-fields]").hidden = !element;
    if (!element) {
      return; // the designer keeps the last form: a re-check after an edit unselects the task
    }
    var bo = element.businessObject;
    $("[data-panel-id]").textContent = bo.id;
    setValue($("#task-name"), bo.name || "");

    var formKey = property(bo, "formKey");
    var select = $("#task-form-key");
    var unknown = select.querySelector("option[data-unknown]");
    if (unknown) {
      unknown.remove();
    }
    if (formKey && !select.querySelector('option[value="' + CSS.escape(formKey) + '"]')) {
      var option = new Option(t("unknownFormKey", { key: formKey }), formKey);
      option.setAttribute("data-unknown", "");
      select.add(option, 0);
    }
    if (!formKey) {
      var none = new Option(t("noFormKey"), "");
      none.setAttribute("data-unknown", "");
      select.add(none, 0);
    }
    select.value = formKey;
    openDesigner(formKey);

    var role = laneOf(element);
    var roles = $("#task-role");
    roles.value = role;
    if (roles.value !== role) {
      roles.value = "";
    }
    $("#task-role-hint").textContent = role ? t("roleIsLane", { role: role }) : t("roleNoneYet");

    var timer = serviceTimer(element);
    var due = $("#task-due");
    if (timer) {
      var expression = timerDefinition(timer).get("timeDuration");
      $("#task-due-label").textContent = t("dueTimer", {
        name: timer.businessObject.name || timer.id,
      });
      $("#task-due-hint").textContent = t("dueTimerHint", { id: timer.id });
      setValue(due, unquote(expression.get("body")));
    } else {
      $("#task-due-label").textContent = t("dueProperty");
      $("#task-due-hint").textContent = t("duePropertyHint");
      setValue(due, property(bo, "dueIn"));
    }
    checkDuration(due.value, Boolean(timer));
  }

  // Refresh a field from the diagram without losing what the user is typing in it.
  function setValue(input, value) {
    if (document.activeElement !== input) {
      input.value = value;
    }
  }

  // A task's dueIn is an ISO 8601 duration; a timer's due time may also be a time limit.
  function checkDuration(value, timer) {
    var error = $("#task-due-error");
    error.hidden = !value || ISO_DURATION.test(value) || (timer && TIME_LIMIT.test(value));
    error.textContent = t(timer ? "dueTimerInvalid" : "dueInvalid");
    return error.hidden;
  }

  function onPanel(selector, handler) {
    $(selector).addEventListener("change", function (event) {
      var element = current && current.kind === "bpmn" && selectedTask(current);
      if (element) {
        handler(current, element, event.target.value.trim());
      }
    });
  }

  onPanel("#task-name", function (editor, element, value) {
    editor.modeler.get("modeling").updateLabel(element, value);
  });

  onPanel("#task-form-key", function (editor, element, value) {
    setProperty(editor, element, "formKey", value);
  });

  // The owner writes what they mean; Validate says if it is not a duration, on the diagram.
  onPanel("#task-due", function (editor, element, value) {
    var timer = serviceTimer(element);
    checkDuration(value, Boolean(timer));
    if (timer) {
      var expression = timerDefinition(timer).get("timeDuration");
      var before = unquote(expression.get("body"));
      // A duration is a string in the diagram ("P5D"); a time limit is a call, unquoted.
      editor.modeler.get("modeling").updateModdleProperties(timer, expression, {
        body: TIME_LIMIT.test(value) ? value : JSON.stringify(value),
      });
      relabelTimer(editor, timer, before, value);
    } else {
      setProperty(editor, element, "dueIn", value);
    }
  });

  // A duration in the words a timer's name uses: P14D -> "14 days", PT4H -> "4 hours".
  var UNITS = { Y: "year", M: "month", W: "week", D: "day", H: "hour", S: "second" };
  function durationWords(value) {
    var match = /^P(?:(\d+)([YMWD]))?(?:T(?:(\d+)([HMS]))?)?$/.exec(value || "");
    if (!match || (match[1] && match[3])) {
      return null;
    }
    var number = match[1] || match[3];
    var unit = match[1] ? UNITS[match[2]] : match[4] === "M" ? "minute" : UNITS[match[4]];
    return number ? number + " " + unit + (number === "1" ? "" : "s") : null;
  }

  // A timer named after its duration ("No reply in 14 days") says the new one once changed:
  // the name shows on the diagram, in the case history and in the service-level reports.
  function relabelTimer(editor, timer, before, after) {
    var name = timer.businessObject.name || "";
    var old = durationWords(before);
    var next = durationWords(after);
    if (!name || !old || !next || old === next) {
      return;
    }
    var pattern = new RegExp("\\b" + old.replace(/s$/, "") + "s?\\b");
    if (pattern.test(name)) {
      editor.modeler.get("modeling").updateLabel(timer, name.replace(pattern, next));
    }
  }

  onPanel("#task-role", function (editor, element, role) {
    if (role && role !== laneOf(element)) {
      moveToLane(editor, element, role);
    }
  });

  // A role is a lane: moving the task (and its timers) into the lane's band gives it the role.
  function moveToLane(editor, element, role) {
    var registry = editor.modeler.get("elementRegistry");
    var modeling = editor.modeler.get("modeling");
    var hint = $("#task-role-hint");
    var lane = registry.filter(function (e) {
      return is(e, "bpmn:Lane") && e.businessObject.name === role && !(e.children || []).some(
        function (child) {
          return is(child, "bpmn:Lane");
        }
      );
    })[0];
    if (!lane) {
      $("#task-role").value = laneOf(element);
      hint.textContent = t("roleNoLane", { role: role });
      return;
    }
    var top = lane.y;
    var bottom = lane.y + lane.height;
    var parent = element.parent;
    if (is(parent, "bpmn:SubProcess")) {
      top = Math.max(top, parent.y);
      bottom = Math.min(bottom, parent.y + parent.height);
    }
    if (bottom - top < element.height + 20) {
      $("#task-role").value = laneOf(element);
      hint.textContent = t("roleOutsideSubprocess", { role: role });
      canvasFocus(editor, lane);
      return;
    }
    var delta = { x: 0, y: Math.round((top + bottom) / 2 - element.height / 2 - element.y) };
    modeling.moveElements([element], delta, parent);
    // bpmn-js updates lane membership for tasks drawn directly in the pool, not for those
    // inside a subprocess: set it for the task and its boundary events, as one undo step.
    var nodes = [element].concat(element.attachers || []);
    editor.modeler.get("commandStack").execute("lane.updateRefs", {
      flowNodeShapes: [],
      laneShapes: [],
      updates: nodes.map(function (node) {
        return {
          flowNode: node.businessObject,
          remove: node.businessObject.get("lanes").slice(),
          add: [lane.businessObject],
        };
      }),
    });
    editor.modeler.get("selection").select(element);
    hint.textContent = t("roleMoved", { role: role });
  }

  // Centre the view on an element at a scale where its label and problem note can be read.
  function canvasFocus(editor, element) {
    var canvas = editor.modeler.get("canvas");
    var outer = canvas.viewbox().outer;
    var scale = Math.max(canvas.zoom(), READABLE);
    var width = outer.width / scale;
    var height = outer.height / scale;
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2,
      y: element.y + element.height / 2 - height / 2,
      width: width,
      height: height,
    });
  }

  // ---- problems on the diagram ------------------------------------------------------------------

  function editorFor(problem) {
    var byFile = editors.filter(function (editor) {
      return editor.name === problem.file;
    })[0];
    if (byFile || !problem.element_id) {
      return byFile;
    }
    return editors.filter(function (editor) {
      return editor.kind === "bpmn" && editor.modeler.get("elementRegistry").get(problem.element_id);
    })[0];
  }

  function clearProblems() {
    marked.forEach(function (mark) {
      if (mark.editor.kind === "bpmn") {
        mark.editor.modeler.get("canvas").removeMarker(mark.id, "has-error");
      }
    });
    editors.forEach(function (editor) {
      if (editor.kind === "bpmn") {
        editor.modeler.get("overlays").remove({ type: "problem" });
      } else {
        editor.problems = {};
        markDmn(editor);
      }
    });
    marked = [];
    $("#problems").hidden = true;
    $("#problem-list").textContent = "";
    $("#warning-list").textContent = "";
  }

  function showProblems(problems, warnings) {
    clearProblems();
    collectFormProblems(problems);
    collectListProblems(problems);
    var byElement = {};
    (problems || []).forEach(function (problem) {
      var editor = editorFor(problem);
      addItem($("#problem-list"), problem, editor);
      if (!editor || !problem.element_id) {
        return;
      }
      var key = editor.name + "#" + problem.element_id;
      if (!byElement[key]) {
        byElement[key] = { editor: editor, id: problem.element_id, texts: [] };
      }
      byElement[key].texts.push(problem.message);
    });
    (warnings || []).forEach(function (warning) {
      addItem($("#warning-list"), warning, editorFor(warning));
    });
    Object.keys(byElement).forEach(function (key) {
      var mark = byElement[key];
      if (mark.editor.kind === "dmn") {
        mark.editor.problems = mark.editor.problems || {};
        mark.editor.problems[mark.id] = mark.texts.join("\n");
        return;
      }
      var registry = mark.editor.modeler.get("elementRegistry");
      if (!registry.get(mark.id)) {
        return;
      }
      mark.editor.modeler.get("canvas").addMarker(mark.id, "has-error");
      var note = document.createElement("div");
      note.className = "problem-overlay";
      note.textContent = mark.texts.join(" · ");
      mark.editor.modeler.get("overlays").add(mark.id, "problem", {
        position: { bottom: -6, left: 0 },
        html: note,
      });
      marked.push(mark);
    });
    editors.forEach(function (editor) {
      if (editor.kind === "dmn") {
        markDmn(editor);
      }
    });
    // Show the first problem that has a place on a diagram.
    var first = Object.keys(byElement)
      .map(function (key) {
        return byElement[key];
      })
      .filter(function (mark) {
        return mark.editor.kind === "bpmn" && marked.indexOf(mark) !== -1;
      })[0];
    if (first) {
      reveal(first.editor, first.id, false);
    }
    $("#problems").hidden = !(problems || []).length && !(warnings || []).length;
    $("#problems").classList.toggle("only-warnings", !(problems || []).length);
    $("#warnings-heading").hidden = !(warnings || []).length;
    $("#problems-heading").hidden = !(problems || []).length;
  }

  // dmn-js draws the table anew on every change: mark its cells again each time.
  function markDmn(editor) {
    var problems = editor.problems || {};
    editor.pane.querySelectorAll(".has-error").forEach(function (node) {
      node.classList.remove("has-error");
      node.removeAttribute("title");
    });
    Object.keys(problems).forEach(function (id) {
      var selector =
        '[data-element-id="' + CSS.escape(id) + '"], [data-row-id="' + CSS.escape(id) + '"]';
      editor.pane.querySelectorAll(selector).forEach(function (node) {
        node.classList.add("has-error");
        node.setAttribute("title", problems[id]);
      });
    });
  }

  function addItem(list, problem, editor) {
    var item = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link problem-link";
    var where = [problem.file, problem.element].filter(Boolean).join(" · ");
    button.textContent = (where ? where + ": " : "") + problem.message;
    button.setAttribute("data-element-id", problem.element_id || "");
    button.addEventListener("click", function () {
      var key = formKeyOf(problem);
      if (problem.file === LISTS_FILE) {
        revealList(problem.element_id || "");
      } else if (key && forms[key]) {
        openDesigner(key);
        $("#form-designer").scrollIntoView({ block: "start" });
        $("#form-designer-title").setAttribute("tabindex", "-1");
        $("#form-designer-title").focus();
      } else if (editor) {
        reveal(editor, problem.element_id, true);
      }
    });
    item.appendChild(button);
    list.appendChild(item);
  }

  function reveal(editor, id, select) {
    show(editor);
    if (!id) {
      return;
    }
    if (editor.kind === "bpmn") {
      var element = editor.modeler.get("elementRegistry").get(id);
      if (element) {
        // A task's timer is edited on the task (its due time): select the task.
        var host = element.host && is(element.host, "bpmn:UserTask") ? element.host : element;
        // Without a selection the context pad does not hide the problem note.
        editor.modeler.get("selection").select(select ? host : null);
        canvasFocus(editor, element);
      }
      return;
    }
    var cell = editor.pane.querySelector('[data-element-id="' + CSS.escape(id) + '"]');
    if (cell) {
      cell.scrollIntoView({ block: "center" });
      cell.focus();
    }
  }

  // ---- unsaved changes: a draft in this browser, a warning before leaving ------------------------

  var dirty = false;
  var draftTimer = null;
  var recheckTimer = null;

  function draftKey(versionId) {
    return "complaintflow-editor-draft:" + versionId;
  }
  config.draftKey = draftKey(config.version_id);

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage refused (private mode): no draft, the warning still works
    }
  }

  function showVersion(number) {
    $("#editor-version").textContent = t("versionActive", { number: number });
    $("#editor-active").hidden = false;
  }

  function setClean() {
    dirty = false;
    window.clearTimeout(draftTimer);
    var store = storage();
    if (store) {
      store.removeItem(config.draftKey);
    }
  }

  // Every edit: remember that there are unsaved changes, keep a draft, and when problems or
  // an error are shown, check again so that a fixed problem does not stay on screen.
  function changed() {
    dirty = true;
    window.clearTimeout(draftTimer);
    draftTimer = window.setTimeout(saveDraft, 400);
    if (!$("#problems").hidden || $("#editor-status").classList.contains("editor-status-error")) {
      window.clearTimeout(recheckTimer);
      recheckTimer = window.setTimeout(validate, 800);
    }
  }

  function saveDraft() {
    var store = storage();
    if (!store || !dirty) {
      return;
    }
    exportFiles().then(function (files) {
      try {
        store.setItem(
          config.draftKey,
          JSON.stringify({ saved: Date.now(), files: files, forms: forms, lists: lists })
        );
      } catch (error) {
        // Storage full: the warning before leaving still protects the work.
      }
    });
  }

  function readDraft() {
    var store = storage();
    var text = store && store.getItem(config.draftKey);
    if (!text) {
      return null;
    }
    try {
      var draft = JSON.parse(text);
      return draft && draft.files ? draft : null;
    } catch (error) {
      return null;
    }
  }

  // A draft left by an earlier visit: offer it back (or throw it away).
  function offerDraft() {
    var draft = readDraft();
    if (!draft) {
      return;
    }
    var box = $("#editor-draft");
    box.querySelector("[data-draft-when]").textContent = new Date(draft.saved).toLocaleString();
    box.hidden = false;
    box.querySelector("[data-draft-restore]").onclick = function () {
      box.hidden = true;
      Promise.all(
        editors.map(function (editor) {
          var xml = draft.files[editor.name];
          return xml ? editor.modeler.importXML(xml) : Promise.resolve();
        })
      ).then(function () {
        if (draft.forms) {
          Object.keys(draft.forms).forEach(function (key) {
            forms[key] = draft.forms[key];
            addFormOption(key);
          });
          designerKey = null;
        }
        if (draft.lists) {
          lists = draft.lists;
          lists.forEach(function (list) {
            offerList(list.name);
          });
          renderLists();
        }
        show(current || editors[0]);
        dirty = true;
        say(t("draftRestored"), "ok");
      }, failed);
    };
    box.querySelector("[data-draft-discard]").onclick = function () {
      box.hidden = true;
      setClean();
    };
  }

  function watch(editor) {
    if (editor.kind === "bpmn") {
      editor.modeler.on("commandStack.changed", changed);
      return;
    }
    var viewer = editor.modeler.getActiveViewer && editor.modeler.getActiveViewer();
    if (viewer && viewer.on) {
      viewer.on("elements.changed", changed);
    }
    editor.pane.addEventListener("input", changed);
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      saveDraft();
      event.preventDefault();
      event.returnValue = ""; // the browser shows its own "Leave site?" question
    }
  });

  // ---- validate, deploy, what-if ------------------------------------------------------------------

  function failed(error) {
    say(t("requestFailed", { reason: error && error.message ? error.message : error }), "error");
  }

  // Validation runs on its own after each change: an answer that comes back after a later
  // validation or a deploy started must not overwrite what that one says.
  var statusRequest = 0;

  // Every form of the version goes with the diagrams, changed or not: a deploy holds every
  // form it uses, and one left out would be replaced by the shipped definition.
  function payload(files) {
    return { files: files, forms: forms, lists: lists, version_id: config.version_id };
  }

  function validate() {
    var mine = ++statusRequest;
    say(t("validating"));
    return exportFiles()
      .then(function (files) {
        return postJSON(config.urls.validate, payload(files));
      })
      .then(function (response) {
        if (mine !== statusRequest) {
          return;
        }
        if (response.status !== 200) {
          say(response.body.error || t("requestFailed", { reason: response.status }), "error");
          return;
        }
        showProblems(response.body.problems, response.body.warnings);
        var count = response.body.problems.length;
        var found = count === 1 ? t("problemFound") : t("problemsFound", { count: count });
        say(count ? found : t("valid"), count ? "error" : "ok");
      })
      .catch(failed);
  }

  function deploy(event) {
    event.preventDefault();
    var comment = $("#comment");
    var error = $("#comment-error");
    error.hidden = Boolean(comment.value.trim());
    comment.setAttribute("aria-invalid", error.hidden ? "false" : "true");
    if (!error.hidden) {
      comment.focus();
      return;
    }
    statusRequest += 1;
    // A re-check queued by the last edit would run after the deploy and hide its answer.
    window.clearTimeout(recheckTimer);
    say(t("deploying"));
    exportFiles()
      .then(function (files) {
        var body = payload(files);
        body.comment = comment.value.trim();
        return postJSON(config.urls.deploy, body);
      })
      .then(function (response) {
        var body = response.body;
        if (response.status === 201 || response.status === 200) {
          showProblems([], body.warnings);
          say(body.message, "ok");
          showVersion(body.version);
          config.draftKey = draftKey(body.version_id);
          config.version_id = body.version_id; // the forms deployed are now this version's
          collectFormProblems([]);
          remember(); // the values deployed are now the version's: stored by complaints
          listProblems = {};
          renderLists();
          if (window.history && body.links.editor) {
            window.history.replaceState(null, "", body.links.editor);
          }
          setClean();
          var link = document.createElement("a");
          link.href = body.links.versions;
          link.textContent = t("seeVersions");
          $("#editor-status").append(" ", link);
          comment.value = "";
          return;
        }
        if (body.errors && body.errors.comment) {
          error.textContent = body.errors.comment.join(" ");
          error.hidden = false;
        }
        showProblems(body.problems, body.warnings);
        say(body.error || t("requestFailed", { reason: response.status }), "error");
      })
      .catch(failed);
  }

  function replay(event) {
    event.preventDefault();
    var table = editors.filter(function (editor) {
      return editor.kind === "dmn";
    })[0];
    if (!table) {
      return;
    }
    var result = $("#replay-result");
    result.textContent = t("replaying");
    table.modeler
      .saveXML({ format: true })
      .then(function (saved) {
        return postJSON(config.urls.replay, {
          dmn: saved.xml,
          last_n: Number($("#last_n").value),
          // Values are typed by this version's classification form.
          version_id: config.version_id,
        });
      })
      .then(function (response) {
        if (response.status !== 200) {
          result.textContent = response.body.error || t("requestFailed", { reason: response.status });
          if (response.body.problems) {
            showProblems(response.body.problems, []);
          }
          return;
        }
        renderReplay(result, response.body);
      })
      .catch(function (error) {
        result.textContent = t("requestFailed", { reason: error.message });
      });
  }

  function cell(row, text, tag) {
    var node = document.createElement(tag || "td");
    node.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(node);
    return node;
  }

  function routeLabel(route) {
    return route ? config.routes[route] || route : "—";
  }

  function renderReplay(container, body) {
    container.textContent = "";
    var summary = document.createElement("p");
    summary.className = "replay-summary";
    summary.textContent = body.rows.length
      ? t("replaySummary", { changed: body.changed, total: body.rows.length })
      : t("replayEmpty");
    container.appendChild(summary);
    // Names the table reads that no past complaint has: a new field, or a misspelt name.
    if (body.missing && body.missing.length) {
      var notes = document.createElement("ul");
      notes.className = "replay-missing";
      body.missing.forEach(function (item) {
        var note = document.createElement("li");
        note.textContent = item.message;
        notes.appendChild(note);
      });
      container.appendChild(notes);
    }
    if (!body.rows.length) {
      return;
    }
    var table = document.createElement("table");
    table.className = "replay-table";
    var head = table.createTHead().insertRow();
    cell(head, t("reference"), "th");
    body.input_labels.forEach(function (label) {
      cell(head, label, "th");
    });
    cell(head, t("routeTaken"), "th");
    cell(head, t("newRoute"), "th");
    var rows = table.createTBody();
    body.rows.forEach(function (item) {
      var row = rows.insertRow();
      if (item.changed) {
        row.className = "changed";
      }
      cell(row, item.reference);
      item.inputs.forEach(function (value) {
        cell(row, value === true ? "✓" : value === false ? "✗" : value);
      });
      cell(row, routeLabel(item.actual_route));
      var next = cell(row, item.error ? item.error : routeLabel(item.new_route));
      if (item.changed) {
        next.insertAdjacentText("beforeend", " ← " + t("changed"));
      }
    });
    container.appendChild(table);
  }

  // ---- the form designer: the selected task's form definition ----------------------------------
  // config.forms holds every form of the version as the JSON of its TOML definition
  // (forms/definitions.py documents the settings). The designer edits those objects in place:
  // settings it has no input for (validators, filters, placeholder…) are kept as they are.

  var forms = config.forms || {};
  var designerKey = null; // the form shown in the designer
  var formProblems = {}; // form key -> problem messages of the last validation
  var FORM_KEY = /^[a-z][a-z0-9_]{0,62}$/;
  var TEXT_TYPES = ["text", "long_text"];
  var NUMBER_TYPES = ["number", "amount"];
  var CHOICE_TYPES = ["choice", "multiple_choice", "checklist"];
  var uid = 0;

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function button(text, label, handler, marker) {
    var node = el("button", { type: "button" }, text);
    if (label && label !== text) {
      node.setAttribute("aria-label", label);
    }
    if (marker) {
      node.setAttribute("data-designer-button", marker);
    }
    node.addEventListener("click", handler);
    return node;
  }

  // A labelled input; `save` gets the new value on change.
  function input(container, label, value, save, options) {
    options = options || {};
    var id = options.id || "fd-" + ++uid;
    var wrapper = el("div", { class: "field" + (options.check ? " check-field" : "") });
    var control;
    if (options.select) {
      control = el("select", { id: id });
      options.select.forEach(function (choice) {
        control.add(new Option(choice[1], choice[0]));
      });
      control.value = value === undefined || value === null ? "" : String(value);
    } else if (options.check) {
      control = el("input", { type: "checkbox", id: id });
      control.checked = Boolean(value);
    } else {
      control = el("input", { type: options.type || "text", id: id });
      control.value = value === undefined || value === null ? "" : String(value);
    }
    if (options.marker) {
      control.setAttribute("data-designer-input", options.marker);
    }
    var labelNode = el("label", { for: id }, label);
    if (options.check) {
      labelNode.className = "check";
      labelNode.textContent = "";
      labelNode.appendChild(control);
      labelNode.append(" " + label);
      wrapper.appendChild(labelNode);
    } else {
      wrapper.appendChild(labelNode);
      wrapper.appendChild(control);
    }
    if (options.hint) {
      var hint = el("small", { class: "hint", id: id + "-hint" }, options.hint);
      control.setAttribute("aria-describedby", hint.id);
      wrapper.appendChild(hint);
    }
    control.addEventListener("change", function () {
      save(options.check ? control.checked : control.value);
      formChanged();
    });
    container.appendChild(wrapper);
    return control;
  }

  // A text in English and French ({en, fr}), as a fieldset with its legend.
  function texts(container, legend, owner, key, marker) {
    var group = el("fieldset", { class: "designer-texts" });
    group.appendChild(el("legend", {}, legend));
    var value = owner[key] && typeof owner[key] === "object" ? owner[key] : {};
    ["en", "fr"].forEach(function (language) {
      input(
        group,
        t(language === "en" ? "inEnglish" : "inFrench"),
        value[language] || "",
        function (text) {
          var current = owner[key] && typeof owner[key] === "object" ? owner[key] : {};
          current[language] = text.trim();
          if (!current.en && !current.fr) {
            delete owner[key];
          } else {
            owner[key] = current;
          }
        },
        { marker: marker ? marker + "-" + language : null }
      );
    });
    container.appendChild(group);
  }

  function number(value) {
    var text = String(value).trim();
    if (!text) {
      return undefined;
    }
    var parsed = Number(text);
    return isNaN(parsed) ? text : parsed; // the server says what is wrong with the text
  }

  function setOrDelete(owner, key, value) {
    if (value === undefined || value === "" || value === false) {
      delete owner[key];
    } else {
      owner[key] = value;
    }
  }

  function formChanged() {
    changed();
  }

  function fieldNames(form) {
    return (form.fields || []).map(function (field) {
      return field.name;
    });
  }

  // Settings that only some types take: a type change drops the others (the server would
  // refuse them).
  var ONLY_FOR = {
    min_length: TEXT_TYPES,
    max_length: TEXT_TYPES,
    pattern: TEXT_TYPES,
    min: NUMBER_TYPES,
    max: NUMBER_TYPES,
    range_message: NUMBER_TYPES,
    whole: ["number"],
    not_in_future: ["date"],
    choices: CHOICE_TYPES,
    choices_from: CHOICE_TYPES,
    widget: ["choice"],
    placeholder: ["choice"],
  };

  function retype(field, type) {
    field.type = type;
    Object.keys(ONLY_FOR).forEach(function (key) {
      if (ONLY_FOR[key].indexOf(type) === -1) {
        delete field[key];
      }
    });
    if (CHOICE_TYPES.indexOf(type) !== -1 && !field.choices && !field.choices_from) {
      field.choices = [];
    }
  }

  function openDesigner(key) {
    var section = $("#form-designer");
    if (!key || !forms[key]) {
      section.hidden = true;
      designerKey = null;
      return;
    }
    var changedKey = key !== designerKey;
    designerKey = key;
    section.hidden = false;
    if (changedKey) {
      $("#form-preview").hidden = true;
      renderDesigner();
    }
  }

  function renderDesigner(focus) {
    var form = forms[designerKey];
    var body = $("#form-designer-body");
    body.textContent = "";
    uid = 0;
    $("[data-designer-key]").textContent = designerKey;
    $("[data-designer-used]").textContent = t("formUsedBy", { tasks: tasksUsing(designerKey) });
    renderFormProblems();

    var settings = el("fieldset", { class: "designer-form" });
    settings.appendChild(el("legend", {}, t("formSettings")));
    texts(settings, t("formTitle"), form, "title", "title");
    texts(settings, t("formPhase"), form, "phase", "phase");
    input(
      settings,
      t("formContext"),
      (form.context || []).join(", "),
      function (value) {
        var names = value
          .split(/[\s,]+/)
          .map(function (name) {
            return name.trim();
          })
          .filter(Boolean);
        setOrDelete(form, "context", names.length ? names : undefined);
      },
      { hint: t("formContextHint"), marker: "context" }
    );
    texts(settings, t("formContextTitle"), form, "context_title", "context-title");
    body.appendChild(settings);

    body.appendChild(el("h3", { id: "designer-fields-title" }, t("fieldsTitle")));
    var list = el("ol", { class: "designer-fields", "aria-labelledby": "designer-fields-title" });
    (form.fields || []).forEach(function (field, index) {
      list.appendChild(fieldEditor(form, field, index));
    });
    body.appendChild(list);
    body.appendChild(
      button(t("addField"), null, function () {
        form.fields = form.fields || [];
        var n = form.fields.length + 1;
        while (fieldNames(form).indexOf("field_" + n) !== -1) {
          n += 1;
        }
        form.fields.push({ name: "field_" + n, type: "text", label: { en: "", fr: "" } });
        formChanged();
        renderDesigner('[data-designer-input="field-' + (form.fields.length - 1) + '-name"]');
      }, "add-field")
    );

    body.appendChild(el("h3", { id: "designer-rules-title" }, t("rulesTitle")));
    body.appendChild(el("p", { class: "hint" }, t("rulesHint")));
    var rules = el("ol", { class: "designer-rules", "aria-labelledby": "designer-rules-title" });
    (form.rules || []).forEach(function (rule, index) {
      rules.appendChild(ruleEditor(form, rule, index));
    });
    body.appendChild(rules);
    body.appendChild(
      button(t("addRule"), null, function () {
        form.rules = form.rules || [];
        form.rules.push({
          field: fieldNames(form)[0] || "",
          message: { en: "", fr: "" },
        });
        formChanged();
        renderDesigner('[data-designer-input="rule-' + (form.rules.length - 1) + '-field"]');
      }, "add-rule")
    );
    if (focus) {
      var target = body.querySelector(focus);
      if (target) {
        target.focus();
        if (target.select && target.type === "text") {
          target.select(); // a new field's or choice's proposed value: typing replaces it
        }
      }
    }
  }

  function fieldEditor(form, field, index) {
    var item = el("li", { class: "designer-field" });
    var group = el("fieldset", {});
    var legend = el("legend", {}, t("fieldLegend", { number: index + 1, name: field.name }));
    group.appendChild(legend);
    var prefix = "field-" + index + "-";
    var row = el("div", { class: "designer-row" });
    input(
      row,
      t("fieldName"),
      field.name,
      function (value) {
        var old = field.name;
        field.name = value.trim();
        // Rules follow the field they check.
        (form.rules || []).forEach(function (rule) {
          if (rule.field === old) {
            rule.field = field.name;
          }
        });
        legend.textContent = t("fieldLegend", { number: index + 1, name: field.name });
        relabel();
      },
      { hint: t("fieldNameHint"), marker: prefix + "name" }
    );
    input(
      row,
      t("fieldType"),
      field.type,
      function (value) {
        retype(field, value);
        renderDesigner('[data-designer-input="' + prefix + 'type"]');
      },
      {
        select: (config.field_types || []).map(function (type) {
          return [type, t("type_" + type)];
        }),
        marker: prefix + "type",
      }
    );
    input(
      row,
      t("fieldRequired"),
      Boolean(field.required),
      function (checked) {
        if (!checked) {
          delete field.required;
        } else if (!field.required) {
          field.required = true;
        }
      },
      { check: true, marker: prefix + "required" }
    );
    group.appendChild(row);
    texts(group, t("fieldLabel"), field, "label", prefix + "label");
    texts(group, t("fieldHelp"), field, "help", prefix + "help");

    var limits = el("div", { class: "designer-row" });
    if (TEXT_TYPES.indexOf(field.type) !== -1) {
      ["min_length", "max_length"].forEach(function (key) {
        input(limits, t(key), field[key], function (value) {
          setOrDelete(field, key, number(value));
        }, { type: "number", marker: prefix + key });
      });
    }
    if (NUMBER_TYPES.indexOf(field.type) !== -1) {
      ["min", "max"].forEach(function (key) {
        input(limits, t(key), field[key], function (value) {
          setOrDelete(field, key, number(value));
        }, { type: "number", marker: prefix + key });
      });
    }
    if (field.type === "number") {
      input(limits, t("whole"), field.whole, function (checked) {
        setOrDelete(field, "whole", checked);
      }, { check: true, marker: prefix + "whole" });
    }
    if (field.type === "date") {
      input(limits, t("notInFuture"), field.not_in_future, function (checked) {
        setOrDelete(field, "not_in_future", checked);
      }, { check: true, marker: prefix + "not-in-future" });
    }
    if (limits.childNodes.length) {
      group.appendChild(limits);
    }
    if (CHOICE_TYPES.indexOf(field.type) !== -1) {
      group.appendChild(choicesEditor(field, prefix));
    }
    input(
      group,
      t("shownWhen"),
      field.shown_when,
      function (value) {
        setOrDelete(field, "shown_when", value.trim());
      },
      { hint: t("shownWhenHint"), marker: prefix + "shown-when" }
    );

    var actions = el("p", { class: "designer-actions" });
    var count = form.fields.length;
    if (index > 0) {
      actions.appendChild(
        button(t("moveUp"), t("moveUpField", { name: field.name }), function () {
          move(form.fields, index, index - 1);
          renderDesigner('[data-designer-button="' + (index > 1 ? "field-" + (index - 1) + "-up" : "field-" + (index - 1) + "-down") + '"]');
        }, prefix + "up")
      );
    }
    if (index < count - 1) {
      actions.appendChild(
        button(t("moveDown"), t("moveDownField", { name: field.name }), function () {
          move(form.fields, index, index + 1);
          renderDesigner('[data-designer-button="' + (index + 1 < count - 1 ? "field-" + (index + 1) + "-down" : "field-" + (index + 1) + "-up") + '"]');
        }, prefix + "down")
      );
    }
    actions.appendChild(
      button(t("removeField"), t("removeFieldNamed", { name: field.name }), function () {
        form.fields.splice(index, 1);
        formChanged();
        renderDesigner('[data-designer-button="add-field"]');
      }, prefix + "remove")
    );
    group.appendChild(actions);
    item.appendChild(group);
    // The buttons say which field they act on (screen readers list buttons out of context).
    function relabel() {
      var labels = { up: "moveUpField", down: "moveDownField", remove: "removeFieldNamed" };
      Object.keys(labels).forEach(function (what) {
        var node = actions.querySelector('[data-designer-button="' + prefix + what + '"]');
        if (node) {
          node.setAttribute("aria-label", t(labels[what], { name: field.name }));
        }
      });
      var addChoice = group.querySelector('[data-designer-button="' + prefix + 'add-choice"]');
      if (addChoice) {
        addChoice.setAttribute("aria-label", t("addChoiceTo", { name: field.name }));
      }
    }
    return item;
  }

  function move(list, from, to) {
    var item = list.splice(from, 1)[0];
    list.splice(to, 0, item);
    formChanged();
  }

  function choicesEditor(field, prefix) {
    var group = el("fieldset", { class: "designer-choices" });
    group.appendChild(el("legend", {}, t("choicesTitle")));
    if (field.choices_from) {
      group.appendChild(el("p", { class: "hint" }, t("choicesFromData", { source: field.choices_from })));
      return group;
    }
    var source = typeof field.choices === "string" ? field.choices : "";
    input(
      group,
      t("choicesSource"),
      source,
      function (value) {
        field.choices = value ? value : [];
        renderDesigner('[data-designer-input="' + prefix + 'choices"]');
      },
      {
        select: [["", t("choicesInline")]].concat(
          (config.lists || []).map(function (name) {
            return [name, t("choicesList", { name: name })];
          })
        ),
        marker: prefix + "choices",
      }
    );
    if (field.type === "choice") {
      input(group, t("asRadio"), field.widget === "radio", function (checked) {
        setOrDelete(field, "widget", checked ? "radio" : undefined);
      }, { check: true, marker: prefix + "radio" });
    }
    if (!Array.isArray(field.choices)) {
      return group;
    }
    var list = el("ol", { class: "designer-choice-list" });
    field.choices.forEach(function (choice, number) {
      var item = el("li", { class: "designer-row" });
      var mark = prefix + "choice-" + number + "-";
      input(item, t("choiceValue"), choice.value, function (value) {
        choice.value = value.trim();
      }, { marker: mark + "value" });
      choice.label = choice.label || {};
      ["en", "fr"].forEach(function (language) {
        input(
          item,
          t(language === "en" ? "choiceLabelEn" : "choiceLabelFr"),
          choice.label[language],
          function (value) {
            choice.label[language] = value.trim();
          },
          { marker: mark + "label-" + language }
        );
      });
      item.appendChild(
        button(t("removeChoice"), t("removeChoiceNamed", { value: choice.value || number + 1 }), function () {
          field.choices.splice(number, 1);
          formChanged();
          renderDesigner('[data-designer-button="' + prefix + 'add-choice"]');
        }, mark + "remove")
      );
      list.appendChild(item);
    });
    group.appendChild(list);
    group.appendChild(
      button(t("addChoice"), t("addChoiceTo", { name: field.name }), function () {
        field.choices.push({ value: "", label: { en: "", fr: "" } });
        formChanged();
        renderDesigner('[data-designer-input="' + prefix + "choice-" + (field.choices.length - 1) + '-value"]');
      }, prefix + "add-choice")
    );
    return group;
  }

  function ruleEditor(form, rule, index) {
    var item = el("li", { class: "designer-rule" });
    var group = el("fieldset", {});
    group.appendChild(el("legend", {}, t("ruleLegend", { number: index + 1 })));
    var prefix = "rule-" + index + "-";
    if (rule.python) {
      group.appendChild(el("p", {}, t("ruleFromCode", { name: rule.python })));
    } else {
      var names = fieldNames(form);
      if (rule.field && names.indexOf(rule.field) === -1) {
        names = [rule.field].concat(names);
      }
      var row = el("div", { class: "designer-row" });
      input(row, t("ruleField"), rule.field, function (value) {
        rule.field = value;
      }, {
        select: names.map(function (name) {
          return [name, name];
        }),
        marker: prefix + "field",
      });
      input(row, t("ruleWhen"), rule.when, function (value) {
        setOrDelete(rule, "when", value.trim());
      }, { hint: t("ruleWhenHint"), marker: prefix + "when" });
      input(row, t("ruleCheck"), rule.check, function (value) {
        setOrDelete(rule, "check", value.trim());
      }, { hint: t("ruleCheckHint"), marker: prefix + "check" });
      group.appendChild(row);
      texts(group, t("ruleMessage"), rule, "message", prefix + "message");
    }
    group.appendChild(
      button(t("removeRule"), t("removeRuleNumber", { number: index + 1 }), function () {
        form.rules.splice(index, 1);
        if (!form.rules.length) {
          delete form.rules;
        }
        formChanged();
        renderDesigner('[data-designer-button="add-rule"]');
      }, prefix + "remove")
    );
    item.appendChild(group);
    return item;
  }

  // The user tasks of the diagrams that use a form (a form may serve several steps).
  function tasksUsing(key) {
    var names = [];
    editors.forEach(function (editor) {
      if (editor.kind !== "bpmn") {
        return;
      }
      editor.modeler.get("elementRegistry").forEach(function (element) {
        if (is(element, "bpmn:UserTask") && property(element.businessObject, "formKey") === key) {
          names.push(element.businessObject.name || element.id);
        }
      });
    });
    return names.length ? names.join(", ") : "—";
  }

  function renderFormProblems() {
    var box = $("#form-designer-problems");
    var list = box.querySelector("ul");
    var items = (designerKey && formProblems[designerKey]) || [];
    list.textContent = "";
    items.forEach(function (text) {
      list.appendChild(el("li", {}, text));
    });
    box.hidden = !items.length;
  }

  function formKeyOf(problem) {
    var match = /^forms\/([a-z][a-z0-9_]*)\.toml$/.exec(problem.file || "");
    return match ? match[1] : null;
  }

  function collectFormProblems(problems) {
    formProblems = {};
    (problems || []).forEach(function (problem) {
      var key = formKeyOf(problem);
      if (key) {
        (formProblems[key] = formProblems[key] || []).push(
          // A finding about the whole form has no element id: its element ("form <key>", in
          // the reader's language) would only repeat the form the designer shows.
          (problem.element && problem.element_id ? problem.element + ": " : "") +
            problem.message
        );
      }
    });
    renderFormProblems();
  }

  function preview() {
    if (!designerKey) {
      return;
    }
    var section = $("#form-preview");
    var body = section.querySelector("[data-preview-body]");
    section.hidden = false;
    body.textContent = t("previewing");
    postJSON(config.urls.preview, {
      key: designerKey,
      form: forms[designerKey],
      lists: lists,
      version_id: config.version_id,
    })
      .then(function (response) {
        body.textContent = "";
        if (response.status !== 200) {
          body.appendChild(
            el("p", { class: "error" }, response.body.error || t("requestFailed", { reason: response.status }))
          );
          var list = el("ul", { class: "preview-problems" });
          (response.body.problems || []).forEach(function (problem) {
            list.appendChild(el("li", {}, problem.message));
          });
          body.appendChild(list);
          return;
        }
        // The server's rendering of the definition (its texts escaped there).
        body.innerHTML = response.body.html;
        var previewForm = body.querySelector("form");
        if (previewForm) {
          previewForm.addEventListener("submit", function (event) {
            event.preventDefault();
          });
          if (window.complaintflowConditional) {
            window.complaintflowConditional.attach(previewForm);
          }
        }
      })
      .catch(function (error) {
        body.textContent = t("requestFailed", { reason: error.message });
      });
  }

  function addFormOption(key) {
    var select = $("#task-form-key");
    if (!select.querySelector('option[value="' + CSS.escape(key) + '"]')) {
      var options = Array.prototype.slice.call(select.options).filter(function (o) {
        return !o.hasAttribute("data-unknown");
      });
      var before = options.filter(function (o) {
        return o.value > key;
      })[0];
      select.add(new Option(key, key), before || null);
    }
  }

  function newFormShown(shown) {
    $("#form-new").hidden = !shown;
    $("#form-new-button").setAttribute("aria-expanded", shown ? "true" : "false");
    $("#form-new-error").hidden = true;
    if (shown) {
      $("#form-new-key").value = "";
      $("#form-new-key").focus();
    }
  }

  function createForm() {
    var key = $("#form-new-key").value.trim();
    var error = $("#form-new-error");
    var problem = !FORM_KEY.test(key)
      ? t("formKeyInvalid")
      : forms[key]
      ? t("formKeyTaken", { key: key })
      : "";
    error.textContent = problem;
    error.hidden = !problem;
    $("#form-new-key").setAttribute("aria-invalid", problem ? "true" : "false");
    if (problem) {
      $("#form-new-key").focus();
      return;
    }
    var element = current && current.kind === "bpmn" && selectedTask(current);
    forms[key] = { fields: [] };
    addFormOption(key);
    newFormShown(false);
    if (element) {
      setProperty(current, element, "formKey", key); // fills the panel and opens the designer
    }
    formChanged();
    openDesigner(key);
    say(t("formCreated", { key: key }), "ok");
    var add = $('[data-designer-button="add-field"]');
    if (add) {
      add.focus();
    }
  }

  $("#form-new-button").addEventListener("click", function () {
    newFormShown($("#form-new").hidden);
  });
  $("#form-new-cancel").addEventListener("click", function () {
    newFormShown(false);
    $("#form-new-button").focus();
  });
  $("#form-new-create").addEventListener("click", createForm);
  $("#form-new-key").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      createForm();
    }
  });
  $("#form-preview-button").addEventListener("click", preview);


  // ---- the choice lists: the version's choices.toml ------------------------------------------
  // config.choice_lists holds the version's lists, [{name, values: [{value, label: {en, fr}}]}]
  // in the file's order. The editor changes them in place and Validate and Deploy send them
  // back: the server writes them into the version's file, its comments kept. A value the
  // version already has keeps its machine value (complaints store it): its labels change, it
  // moves, or it is removed once nothing in the procedure compares with it any more.

  var LISTS_FILE = "choices.toml";
  var lists = config.choice_lists || [];
  var listInfo = config.list_info || {};
  var patterns = config.patterns || {};
  var VALUE = new RegExp(patterns.value || "^[a-z0-9][a-z0-9_]{0,62}$");
  var LIST_NAME = new RegExp(patterns.list || "^[a-z][a-z0-9_]{0,62}$");
  var MARKUP = /[<>"]/;
  var known = {}; // list name -> {value: true}: the lists and values the version holds
  var listProblems = {}; // "list" or "list/value" -> the server's messages
  var listGeneral = []; // the server's messages about the whole file
  var listOpen = {}; // list name -> whether its section is open
  var listUid = 0;

  function remember() {
    known = {};
    lists.forEach(function (list) {
      known[list.name] = {};
      list.values.forEach(function (entry) {
        known[list.name][entry.value] = true;
      });
    });
  }
  remember();

  function about(name) {
    return listInfo[name] || { description: "", app_reads: false, required: [], forms: [] };
  }

  function isKnown(list, entry) {
    return Boolean(entry.value && known[list.name] && known[list.name][entry.value]);
  }

  function listId() {
    return "cl-" + ++listUid;
  }

  // A list the form designer offers for a field's choices.
  function offerList(name) {
    config.lists = config.lists || [];
    if (config.lists.indexOf(name) === -1) {
      config.lists.push(name);
      config.lists.sort();
    }
  }

  function renderLists() {
    var body = $("#list-editor-body");
    body.textContent = "";
    listUid = 0;
    lists.forEach(function (list) {
      body.appendChild(listSection(list));
    });
    var box = $("#list-editor-problems");
    var items = box.querySelector("ul");
    items.textContent = "";
    listGeneral.forEach(function (text) {
      items.appendChild(el("li", {}, text));
    });
    box.hidden = !listGeneral.length;
  }

  // Draw one list again, then focus `focus` (a selector) inside it.
  function renderList(list, focus) {
    var old = $('#list-editor-body [data-list="' + CSS.escape(list.name) + '"]');
    var fresh = listSection(list);
    if (old) {
      old.replaceWith(fresh);
    } else {
      $("#list-editor-body").appendChild(fresh);
    }
    var target = focus && fresh.querySelector(focus);
    if (target) {
      target.focus();
    }
  }

  function listSection(list) {
    var info = about(list.name);
    var details = el("details", { class: "choice-list", "data-list": list.name });
    var problems = listProblems[list.name] || [];
    details.open = Boolean(listOpen[list.name]);
    details.addEventListener("toggle", function () {
      listOpen[list.name] = details.open;
    });
    var summary = el("summary", {});
    summary.appendChild(el("code", {}, list.name));
    summary.append(" · " + t("listValueCount", { count: list.values.length }));
    if (info.app_reads) {
      summary.append(" · " + t("listReadByApp"));
    }
    if (info.description) {
      summary.appendChild(el("span", { class: "hint" }, info.description));
    }
    details.appendChild(summary);

    details.appendChild(
      el(
        "p",
        { class: "muted" },
        info.forms.length ? t("listUsedBy", { forms: info.forms.join(", ") }) : t("listUnused")
      )
    );
    var listError = el("p", { class: "error", "data-list-error": "", role: "alert" });
    listError.textContent = problems.join(" ");
    listError.hidden = !problems.length;
    details.appendChild(listError);
    details.appendChild(el("div", { "data-list-note": "" }));

    var titleId = "list-" + list.name + "-title";
    details.appendChild(el("h3", { id: titleId }, t("listValuesTitle", { name: list.name })));
    var values = el("ol", { class: "choice-list-values", "aria-labelledby": titleId });
    list.values.forEach(function (entry, index) {
      values.appendChild(valueRow(list, entry, index));
    });
    details.appendChild(values);

    var actions = el("p", { class: "designer-actions" });
    actions.appendChild(
      button(t("addValue"), t("addValueTo", { name: list.name }), function () {
        list.values.push({ value: "", label: { en: "", fr: "" } });
        listOpen[list.name] = true;
        formChanged();
        renderList(list, '[data-designer-input="' + (list.values.length - 1) + '-value"]');
      }, "add-value")
    );
    if (!info.app_reads) {
      actions.appendChild(
        button(t("removeList"), t("removeListNamed", { name: list.name }), function () {
          removeList(list, details);
        }, "remove-list")
      );
    }
    details.appendChild(actions);
    return details;
  }

  function valueRow(list, entry, index) {
    var item = el("li", {});
    var stored = isKnown(list, entry);
    var required = about(list.name).required.indexOf(entry.value) !== -1;
    entry.label = entry.label || {};
    item.entry = entry;
    item.list = list;
    var row = el("div", { class: "designer-row" });
    var value = input(row, stored ? t("choiceValue") : t("valueNew"), entry.value, function (text) {
      entry.value = text.trim();
      checkRow(item);
    }, { id: listId(), marker: index + "-value", hint: stored ? null : t("valueHint") });
    value.readOnly = stored; // complaints hold it: renaming it would orphan their answers
    value.setAttribute("autocomplete", "off");
    value.setAttribute("spellcheck", "false");
    ["en", "fr"].forEach(function (language) {
      input(
        row,
        t(language === "en" ? "choiceLabelEn" : "choiceLabelFr"),
        entry.label[language],
        function (text) {
          entry.label[language] = text.trim();
          checkRow(item);
        },
        { id: listId(), marker: index + "-label-" + language }
      );
    });
    item.appendChild(row);
    if (required) {
      item.appendChild(el("small", { class: "hint" }, t("valueActedOn")));
    }
    var error = el("p", { class: "error", id: listId() + "-error", role: "alert" });
    error.hidden = true;
    item.appendChild(error);
    item.appendChild(el("div", { "data-list-note": "" }));

    var name = entry.value || String(index + 1);
    var count = list.values.length;
    var actions = el("p", { class: "designer-actions" });
    if (index > 0) {
      actions.appendChild(
        button(t("moveUp"), t("moveUpField", { name: name }), function () {
          move(list.values, index, index - 1);
          renderList(list, '[data-designer-button="' + (index > 1 ? index - 1 + "-up" : index - 1 + "-down") + '"]');
        }, index + "-up")
      );
    }
    if (index < count - 1) {
      actions.appendChild(
        button(t("moveDown"), t("moveDownField", { name: name }), function () {
          move(list.values, index, index + 1);
          renderList(list, '[data-designer-button="' + (index + 1 < count - 1 ? index + 1 + "-down" : index + 1 + "-up") + '"]');
        }, index + "-down")
      );
    }
    actions.appendChild(
      button(t("removeChoice"), t("removeChoiceNamed", { value: name }), function () {
        removeValue(list, entry, item);
      }, index + "-remove")
    );
    row.appendChild(actions); // beside the labels: a list of many values stays short
    showRow(item, [], listProblems[list.name + "/" + entry.value] || []);
    return item;
  }

  // What the page can tell at once (the server's checks say the rest on Validate).
  function checkRow(item) {
    var list = item.list;
    var entry = item.entry;
    var mine = [];
    if (!VALUE.test(entry.value)) {
      mine.push(t("valueInvalid"));
    } else if (
      list.values.filter(function (other) {
        return other.value === entry.value;
      }).length > 1
    ) {
      mine.push(t("valueTaken", { value: entry.value }));
    }
    if (!entry.label.en || !entry.label.fr) {
      mine.push(t("labelMissing"));
    } else if (MARKUP.test(entry.label.en) || MARKUP.test(entry.label.fr)) {
      mine.push(t("labelMarkup"));
    }
    showRow(item, mine, []);
    // The buttons say which value they act on (screen readers list buttons out of context).
    var labels = { up: "moveUpField", down: "moveDownField", remove: "removeChoiceNamed" };
    item.querySelectorAll("[data-designer-button]").forEach(function (node) {
      var what = node.getAttribute("data-designer-button").split("-").pop();
      var name = entry.value || String(Number(node.getAttribute("data-designer-button").split("-")[0]) + 1);
      node.setAttribute("aria-label", t(labels[what], { name: name, value: name }));
    });
  }

  // The row's problems beside its inputs, which say they are wrong and point at them.
  function showRow(item, mine, theirs) {
    var error = item.querySelector("p.error");
    var messages = mine.concat(theirs);
    error.textContent = messages.join(" ");
    error.hidden = !messages.length;
    item.querySelectorAll("input").forEach(function (control) {
      var hint = control.id + "-hint";
      var described = [item.querySelector("#" + CSS.escape(hint)) ? hint : null, error.id];
      control.setAttribute("aria-invalid", messages.length ? "true" : "false");
      control.setAttribute("aria-describedby", described.filter(Boolean).join(" "));
    });
  }

  function collectListProblems(problems) {
    listProblems = {};
    listGeneral = [];
    (problems || []).forEach(function (problem) {
      if (problem.file !== LISTS_FILE) {
        return;
      }
      var at = problem.element_id || "";
      if (at) {
        (listProblems[at] = listProblems[at] || []).push(problem.message);
        listOpen[at.split("/")[0]] = true;
      } else {
        listGeneral.push(problem.message);
      }
    });
    // In place: the owner may be typing in a list while a re-check answers.
    $("#list-editor-body")
      .querySelectorAll(".choice-list")
      .forEach(function (details) {
        var name = details.getAttribute("data-list");
        var messages = listProblems[name] || [];
        var error = details.querySelector("[data-list-error]");
        error.textContent = messages.join(" ");
        error.hidden = !messages.length;
        details.querySelectorAll(".choice-list-values > li").forEach(function (item) {
          showRow(item, [], listProblems[name + "/" + item.entry.value] || []);
        });
        if (listOpen[name]) {
          details.open = true;
        }
      });
    var box = $("#list-editor-problems");
    box.querySelector("ul").textContent = "";
    listGeneral.forEach(function (text) {
      box.querySelector("ul").appendChild(el("li", {}, text));
    });
    box.hidden = !listGeneral.length;
  }

  // A problem of the lists picked in the problem list: open its list, on the value's inputs.
  function revealList(at) {
    var parts = at.split("/");
    var details = parts[0] && $('#list-editor-body [data-list="' + CSS.escape(parts[0]) + '"]');
    if (!details) {
      $("#list-editor").scrollIntoView({ block: "start" });
      return;
    }
    details.open = true;
    listOpen[parts[0]] = true;
    var target = details.querySelector('[aria-invalid="true"]') || details.querySelector("summary");
    target.scrollIntoView({ block: "center" });
    target.focus();
  }

  function problemText(problem) {
    var where = [problem.file, problem.element].filter(Boolean).join(" · ");
    return (where ? where + ": " : "") + problem.message;
  }

  // Before a stored value (or list) goes: ask the server what would stop a deploy without it
  // (its own deploy checks), and say so beside it, with the choice to remove it anyway.
  function checkUses(list, value, note, headline, drop) {
    note.textContent = "";
    note.appendChild(el("p", { role: "status" }, t("valueChecking", { value: value || list.name })));
    exportFiles()
      .then(function (files) {
        var body = payload(files);
        body.list = list.name;
        body.value = value;
        return postJSON(config.urls.list_uses, body);
      })
      .then(function (response) {
        var body = response.body;
        if (response.status === 200 && !body.uses.length) {
          drop();
          return;
        }
        var reasons =
          response.status === 200
            ? body.uses.map(problemText)
            : (body.problems || []).map(problemText);
        warn(note, response.status === 200 ? headline : body.error || t("requestFailed", { reason: response.status }), reasons, drop);
      })
      .catch(function (error) {
        note.textContent = "";
        note.appendChild(el("p", { class: "error", role: "alert" }, t("requestFailed", { reason: error.message })));
      });
  }

  function warn(note, headline, reasons, drop) {
    note.textContent = "";
    var box = el("div", { class: "notice", role: "alert" });
    box.appendChild(el("p", {}, headline));
    var items = el("ul", {});
    reasons.forEach(function (text) {
      items.appendChild(el("li", {}, text));
    });
    if (reasons.length) {
      box.appendChild(items);
    }
    var keep = button(t("keepIt"), null, function () {
      note.textContent = "";
    });
    box.appendChild(button(t("removeAnyway"), null, drop));
    box.appendChild(document.createTextNode(" "));
    box.appendChild(keep);
    note.appendChild(box);
    keep.focus();
  }

  function removeValue(list, entry, item) {
    var drop = function () {
      var at = list.values.indexOf(entry);
      if (at !== -1) {
        list.values.splice(at, 1);
      }
      formChanged();
      renderList(list, '[data-designer-button="add-value"]');
    };
    if (!isKnown(list, entry)) {
      drop(); // added here: nothing deployed uses it yet
      return;
    }
    if (about(list.name).required.indexOf(entry.value) !== -1) {
      showRow(item, [t("valueRequired", { value: entry.value })], []);
      return;
    }
    var headline = t("valueUsed", { value: entry.value });
    checkUses(list, entry.value, item.querySelector("[data-list-note]"), headline, drop);
  }

  function removeList(list, details) {
    var drop = function () {
      lists.splice(lists.indexOf(list), 1);
      formChanged();
      details.remove();
      $("#list-new-name").focus();
    };
    if (!known[list.name]) {
      drop();
      return;
    }
    var note = details.querySelector("[data-list-note]");
    checkUses(list, null, note, t("listUsed", { name: list.name }), drop);
  }

  function createList() {
    var field = $("#list-new-name");
    var name = field.value.trim();
    var error = $("#list-new-error");
    var taken = lists.some(function (list) {
      return list.name === name;
    });
    var problem = !LIST_NAME.test(name)
      ? t("listNameInvalid")
      : taken
      ? t("listNameTaken", { name: name })
      : "";
    error.textContent = problem;
    error.hidden = !problem;
    field.setAttribute("aria-invalid", problem ? "true" : "false");
    if (problem) {
      field.focus();
      return;
    }
    var list = { name: name, values: [{ value: "", label: { en: "", fr: "" } }] };
    lists.push(list);
    listOpen[name] = true;
    offerList(name);
    field.value = "";
    formChanged();
    renderList(list, '[data-designer-input="0-value"]');
    if (designerKey) {
      renderDesigner(); // its choice of lists names the new one
    }
    say(t("listAdded", { name: name }), "ok");
  }

  $("#list-new-create").addEventListener("click", createList);
  $("#list-new-name").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      createList();
    }
  });
  renderLists();

  // ---- start ------------------------------------------------------------------------------------

  $("#validate-button").addEventListener("click", validate);
  $("#deploy-form").addEventListener("submit", deploy);
  $("#replay-form").addEventListener("submit", replay);
  root.addEventListener("keydown", function (event) {
    // Arrow keys move between tabs, as in any tab list.
    var tab = event.target.closest && event.target.closest('[role="tab"]');
    if (!tab || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) {
      return;
    }
    var index = editors.map(function (e) {
      return e.tab;
    }).indexOf(tab);
    var next = editors[(index + (event.key === "ArrowRight" ? 1 : editors.length - 1)) % editors.length];
    show(next);
    next.tab.focus();
  });

  say(t("loading"));
  Promise.all(Array.prototype.map.call(root.querySelectorAll(".editor-pane"), load))
    .then(function () {
      show(editors[0]);
      say("");
      editors.forEach(watch);
      offerDraft();
      root.classList.add("is-ready");
      editors.forEach(function (editor) {
        if (editor.kind === "dmn") {
          editor.modeler.on("views.changed", function () {
            markDmn(editor);
          });
          editor.pane.addEventListener("input", function () {
            window.setTimeout(function () {
              markDmn(editor);
            }, 0);
          });
        }
      });
    })
    .catch(function (error) {
      say(t("loadFailed", { reason: error.message || error }), "error");
    });

  // For tests and the curious: the files as the editor would send them.
  window.complaintflowEditor = {
    exportFiles: exportFiles,
    forms: function () {
      return forms;
    },
    lists: function () {
      return lists;
    },
    validate: validate,
    editors: editors,
    isDirty: function () {
      return dirty;
    },
  };
})();
