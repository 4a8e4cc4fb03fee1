// Reprieve console: the little behaviour that HTML alone does not give. No inline script anywhere
// (the Content-Security-Policy forbids it); everything hangs on data- attributes.
(function () {
  "use strict";

  // Queues: j/k move the selection, Enter opens the selected row's link.
  function setUpKeyboardList(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
    if (!rows.length) { return; }
    var index = -1;
    function select(next) {
      if (index >= 0) { rows[index].classList.remove("selected"); rows[index].removeAttribute("aria-selected"); }
      index = Math.max(0, Math.min(rows.length - 1, next));
      rows[index].classList.add("selected");
      rows[index].setAttribute("aria-selected", "true");
      rows[index].scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", function (event) {
      var tag = (event.target && event.target.tagName) || "";
      if (/^(A|INPUT|SELECT|TEXTAREA|BUTTON|SUMMARY)$/.test(tag) || event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (event.key === "j") { select(index + 1); event.preventDefault(); }
      else if (event.key === "k") { select(index - 1); event.preventDefault(); }
      else if (event.key === "Enter" && index >= 0) { window.location.href = rows[index].getAttribute("data-href"); }
    });
  }

  // Amnesty confirmation: the button stays disabled until the typed count is the expected one.
  function setUpTypedConfirmation(input) {
    var button = document.getElementById(input.getAttribute("data-confirm-button"));
    var expected = input.getAttribute("data-confirm-count");
    if (!button) { return; }
    function check() { button.disabled = input.value.trim() !== expected; }
    input.addEventListener("input", check);
    check();
  }

  // Forms whose select changes should apply at once (filters).
  function setUpAutoSubmit(select) {
    select.addEventListener("change", function () { if (select.form) { select.form.requestSubmit(); } });
  }

  // A refused form's error page: back to the form as it was typed (the browser keeps it), not reloaded.
  function setUpHistoryBack(link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
    });
  }

  // The impose form: "Denies" shows only for the kind it belongs to (a restriction); without
  // script it is always there and the server ignores it for the other kinds.
  function setUpKindSelect(select) {
    var form = select.form;
    if (!form) { return; }
    var parts = form.querySelectorAll("[data-shown-for-kind]");
    function show() {
      Array.prototype.forEach.call(parts, function (part) {
        part.hidden = part.getAttribute("data-shown-for-kind") !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  }

  // The term: typing a duration or an end chooses "Other"; choosing a preset empties them (the
  // server refuses a preset and a typed term together, rather than guess which was meant).
  function setUpTermInputs(form) {
    var inputs = form.querySelectorAll("[data-term-input]");
    var other = form.querySelector('input[name="term"][value="other"]');
    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener("input", function () { if (input.value && other) { other.checked = true; } });
    });
    Array.prototype.forEach.call(form.querySelectorAll('input[name="term"]'), function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked && radio.value !== "other") {
          Array.prototype.forEach.call(inputs, function (input) { input.value = ""; });
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-kind-select]"), setUpKindSelect);
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (form.querySelector("[data-term-input]")) { setUpTermInputs(form); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("a[data-history-back]"), setUpHistoryBack);
    Array.prototype.forEach.call(document.querySelectorAll("table[data-keyboard-list]"), setUpKeyboardList);
    Array.prototype.forEach.call(document.querySelectorAll("input[data-confirm-count]"), setUpTypedConfirmation);
    Array.prototype.forEach.call(document.querySelectorAll("select[data-auto-submit]"), setUpAutoSubmit);
  });
})();
