// Conditional fields: a field marked data-shown-when (forms/base.py TaskForm.shown_when)
// is shown only when its controlling field has the value. Without this script every field
// shows, and the server ignores those that do not apply.
(function () {
  "use strict";

  function controllerValue(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) values.push(input.value);
      } else if (input.tagName === "SELECT" && input.multiple) {
        Array.prototype.forEach.call(input.selectedOptions, function (o) { values.push(o.value); });
      } else {
        values.push(input.value);
      }
    });
    return values;
  }

  function met(form, rule) {
    var values = controllerValue(form, rule.field);
    if (rule.equals === true) return values.length > 0;
    if (rule.equals === false) return values.length === 0;
    if (typeof rule.equals === "string") return values.indexOf(rule.equals) !== -1;
    return (rule.in || []).some(function (v) { return values.indexOf(v) !== -1; });
  }

  function refresh(form) {
    form.querySelectorAll("[data-shown-when]").forEach(function (element) {
      var rule = JSON.parse(element.getAttribute("data-shown-when"));
      var wrapper = element.closest("fieldset, .field") || element;
      var controller = form.querySelector('[data-shown-when][name="' + rule.field + '"]');
      var controllerHidden = controller && (controller.closest("fieldset, .field") || controller).hidden;
      var hide = controllerHidden || !met(form, rule);
      wrapper.hidden = hide;
      // Stylesheets that give .field a display would override [hidden]: say it here too.
      wrapper.style.display = hide ? "none" : "";
    });
  }

  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-shown-when]")) return;
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
    form.addEventListener("input", function () { refresh(form); });
  });
})();
