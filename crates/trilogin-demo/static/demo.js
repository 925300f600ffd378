// Consent pages of the demo providers: a form is sent once, so a
// double-click on Authorize cannot send a second decision. Without
// JavaScript the forms work as plain HTML, and the provider repeats its
// first answer to a form sent twice.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "");
    // A disabled button is left out of the form data, so the pressed
    // button's decision travels in a hidden field instead.
    var pressed = event.submitter;
    if (pressed && pressed.name) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = pressed.name;
      field.value = pressed.value;
      field.setAttribute("data-pressed", "");
      form.appendChild(field);
    }
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
    });
  });

  // Back from the site, the browser may restore the page as it was left:
  // sent, with its buttons off.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("input[data-pressed]").forEach(function (field) {
        field.remove();
      });
      form.querySelectorAll("button").forEach(function (button) {
        button.disabled = false;
      });
    });
  });
})();
