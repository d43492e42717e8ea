// OpenOffers admin: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Offer form: show only the discount fields the chosen offer type uses (a filled field or one
  // with an error always stays visible, so nothing typed is ever hidden).
  var typeSelect = document.getElementById("f-offer-type");
  function showDiscountFields() {
    var chosen = typeSelect.value;
    var shown = 0;
    document.querySelectorAll(".discount-field").forEach(function (el) {
      var input = el.querySelector("input");
      var used = (el.getAttribute("data-types") || "").split(" ").indexOf(chosen) >= 0;
      var keep = input && (input.value !== "" || input.getAttribute("aria-invalid") === "true");
      el.hidden = !(used || keep || chosen === "");
      if (!el.hidden) { shown += 1; }
    });
    var none = document.getElementById("discount-none");
    if (none) { none.hidden = shown > 0; }
  }
  if (typeSelect) {
    typeSelect.addEventListener("change", showDiscountFields);
    showDiscountFields();
  }

  // Rule form: show only the chosen trigger's fields (only those are sent anyway).
  var triggerSelect = document.getElementById("f-trigger-type");
  function showTriggerFields() {
    document.querySelectorAll(".trigger-fields").forEach(function (el) {
      el.hidden = el.getAttribute("data-trigger") !== triggerSelect.value;
    });
  }
  if (triggerSelect) {
    triggerSelect.addEventListener("change", showTriggerFields);
    showTriggerFields();
  }

  // Offer form: Enter in the check builder previews the terms (the form's default button saves them).
  var previewButton = document.getElementById("preview-button");
  if (previewButton) {
    document.getElementById("f-preview").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();
        previewButton.click();
      }
    });
  }

  // "Copy" buttons next to a newly created secret.
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 2000);
        });
      });
    });
  }
})();
