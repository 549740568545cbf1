// Conditional fields: a field marked data-shown-when (forms/base.py TaskForm.conditions) is
// shown only when its condition holds. A condition is a tree (forms/conditions.py):
// {field, equals} {field, in} {field, filled} {field, contains} {field, op, value}, and
// {all: [...]} {any: [...]} {not: ...}. A hidden field counts as empty. Without this script
// every field shows, and the server ignores those that do not apply.
(function () {
  "use strict";

  // A form may name its inputs <prefix><field> (the editor's preview: data-field-prefix).
  function prefixed(form, name) {
    return (form.getAttribute("data-field-prefix") || "") + name;
  }

  function controllerValue(form, name) {
    var inputs = form.querySelectorAll('[name="' + prefixed(form, name) + '"]');
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

  function hidden(form, name) {
    var element = form.querySelector('[data-shown-when][name="' + prefixed(form, name) + '"]');
    return element ? (element.closest("fieldset, .field") || element).hidden : false;
  }

  function valuesOf(form, name) {
    if (hidden(form, name)) return [];
    return controllerValue(form, name).filter(function (v) { return v !== ""; });
  }

  var COMPARE = {
    ">": function (a, b) { return a > b; },
    ">=": function (a, b) { return a >= b; },
    "<": function (a, b) { return a < b; },
    "<=": function (a, b) { return a <= b; }
  };

  function met(form, rule) {
    if (rule.all) return rule.all.every(function (r) { return met(form, r); });
    if (rule.any) return rule.any.some(function (r) { return met(form, r); });
    if (rule.not) return !met(form, rule.not);
    var values = valuesOf(form, rule.field);
    if (rule.filled) {
      // Filled: something other than blank or a zero amount (as Python's truthiness).
      return values.some(function (v) { return v.trim() !== "" && Number(v.trim()) !== 0; });
    }
    if (rule.equals === true) return values.length > 0;
    if (rule.equals === false) return values.length === 0;
    if (rule.equals !== undefined) return values.indexOf(String(rule.equals)) !== -1;
    if (rule.contains !== undefined) return values.indexOf(String(rule.contains)) !== -1;
    if (rule.op) {
      var number = values.length ? Number(values[0]) : NaN;
      return !isNaN(number) && COMPARE[rule.op](number, rule.value);
    }
    return (rule.in || []).some(function (v) { return values.indexOf(String(v)) !== -1; });
  }

  function refresh(form) {
    // Twice: a field whose condition reads another conditional field settles on the second.
    for (var pass = 0; pass < 2; pass++) {
      form.querySelectorAll("[data-shown-when]").forEach(function (element) {
        var rule = JSON.parse(element.getAttribute("data-shown-when"));
        var wrapper = element.closest("fieldset, .field") || element;
        var hide = !met(form, rule);
        wrapper.hidden = hide;
        // Stylesheets that give .field a display would override [hidden]: say it here too.
        wrapper.style.display = hide ? "none" : "";
      });
    }
  }

  function attach(form) {
    if (!form.querySelector("[data-shown-when]")) return;
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
    form.addEventListener("input", function () { refresh(form); });
  }

  document.querySelectorAll("form").forEach(attach);
  // For forms added later (the editor's preview).
  window.complaintflowConditional = { attach: attach };
})();
