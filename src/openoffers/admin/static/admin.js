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

  // Item and category fields hold several ids separated by commas, and a datalist suggests for the
  // whole value. So while such a field is used, its datalist offers "<ids typed so far>, <candidate>"
  // for each candidate not chosen yet: picking one keeps the earlier ids. Without this script the
  // same datalist suggests the first id and the others are typed.
  var pickerChoices = {}; // datalist id -> [[id, label], ...] as the page gave them
  function suggestNextId(input) {
    var list = document.getElementById(input.getAttribute("list") || "");
    if (!list) { return; }
    if (!pickerChoices[list.id]) {
      pickerChoices[list.id] = Array.prototype.map.call(list.options, function (o) {
        return [o.value, o.textContent];
      });
    }
    var value = input.value;
    var cut = value.lastIndexOf(",");
    var spaces = cut < 0 ? "" : value.slice(cut + 1).match(/^\s*/)[0];
    var head = cut < 0 ? "" : value.slice(0, cut + 1) + spaces;
    if (list.getAttribute("data-head") === head) { return; }
    var chosen = value.slice(0, Math.max(cut, 0)).split(",").map(function (id) { return id.trim(); });
    var options = document.createDocumentFragment();
    pickerChoices[list.id].forEach(function (choice) {
      if (chosen.indexOf(choice[0]) >= 0) { return; }
      var option = document.createElement("option");
      option.value = head + choice[0];
      option.textContent = choice[1];
      options.appendChild(option);
    });
    list.textContent = "";
    list.appendChild(options);
    list.setAttribute("data-head", head);
  }
  ["focusin", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.matches && event.target.matches("input[data-several-ids]")) {
        suggestNextId(event.target);
      }
    });
  });

  // File imports (catalog, customers): the script sends the form itself, to show how much of the file
  // has gone up, then reads the server's progress lines (NDJSON, admin/file_uploads.py) as they come.
  // The last line holds the result's HTML, the same the page shows after a plain post, which is what
  // happens without this script.
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
  function count(n) { return Number(n).toLocaleString("en-US"); }
  function enhanceImport(form) {
    var box = form.querySelector(".import-progress");
    var label = box.querySelector("[role=status]");
    var bar = box.querySelector("progress");
    var button = form.querySelector("button[type=submit]");
    var noun = form.getAttribute("data-import");
    function show(stage, done, total, text) {
      box.hidden = false;
      box.setAttribute("data-stage", stage);
      box.setAttribute("data-done", String(done));
      box.setAttribute("data-total", String(total));
      if (total > 0) {
        bar.max = total;
        bar.value = done;
      } else {
        bar.removeAttribute("value"); // the server has the file and has not said how long it is: busy
      }
      label.textContent = text;
    }
    function outcome(node) {
      var old = document.getElementById("import-outcome");
      old.parentNode.replaceChild(node, old);
      box.setAttribute("data-stage", "done");
      box.hidden = true;
      button.disabled = false;
    }
    function refreshListing() {
      // What the import changed on this page (the catalog's items), read again as a reload would.
      var parts = document.querySelectorAll("[data-refresh-after-import]");
      if (!parts.length) { return; }
      var again = new XMLHttpRequest();
      again.open("GET", location.href);
      again.addEventListener("load", function () {
        if (again.status !== 200) { return; }
        var page = new DOMParser().parseFromString(again.responseText, "text/html");
        parts.forEach(function (part) {
          var fresh = page.getElementById(part.id);
          if (fresh) { part.parentNode.replaceChild(document.importNode(fresh, true), part); }
        });
      });
      again.send();
    }
    function failed(message) {
      var holder = document.createElement("div");
      var notice = document.createElement("div");
      holder.id = "import-outcome";
      notice.className = "notice error";
      notice.id = "import-problems";
      notice.setAttribute("role", "alert");
      notice.textContent = message;
      holder.appendChild(notice);
      outcome(holder);
    }
    function pageMessage(html) {
      // An answer that is not the stream is an error page (form expired, not allowed, too large).
      var page = new DOMParser().parseFromString(html, "text/html");
      var title = page.querySelector("main h1");
      var text = page.querySelector("main p");
      return (title ? title.textContent + ": " : "") + (text ? text.textContent : "the import could not start.");
    }
    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]").files[0];
      if (!file || !window.XMLHttpRequest || !window.FormData) { return; } // the server says what is missing
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      var read = 0;
      var finished = false;
      function streamed() {
        return (xhr.getResponseHeader("Content-Type") || "").indexOf("application/x-ndjson") === 0;
      }
      function readLines() {
        var text = xhr.responseText;
        var end = text.lastIndexOf("\n");
        if (end < read) { return; }
        text.slice(read, end).split("\n").forEach(function (line) {
          if (!line) { return; }
          var step = JSON.parse(line);
          if (step.stage === "checking") {
            show("checking", step.done, step.total, "Checking lines: " + count(step.done) + " of " + count(step.total));
          } else if (step.stage === "writing") {
            show("writing", step.done, step.total, "Writing " + noun + ": " + count(step.done) + " of " +
              count(step.total) + " (nothing is kept unless all are written)");
          } else if (step.html) {
            finished = true;
            var holder = document.createElement("div");
            holder.innerHTML = step.html;
            outcome(holder.querySelector("#import-outcome"));
            if (step.result === "imported") { refreshListing(); }
          }
        });
        read = end + 1;
      }
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/x-ndjson");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          show("sending", e.loaded, e.total, "Sending the file: " + Math.floor(100 * e.loaded / e.total) +
            "% (" + megabytes(e.loaded) + " of " + megabytes(e.total) + ")");
        }
      });
      xhr.upload.addEventListener("load", function () {
        show("sent", 0, 0, "File sent. Reading it…");
      });
      xhr.addEventListener("progress", function () { if (streamed()) { readLines(); } });
      xhr.addEventListener("load", function () {
        if (!streamed()) {
          failed(pageMessage(xhr.responseText));
          return;
        }
        readLines();
        if (!finished) {
          failed("The answer ended before the import said how it went. Reload the page to see what was imported.");
        }
      });
      xhr.addEventListener("error", function () {
        failed("The file could not be sent, or the answer did not arrive. Check the connection and try again.");
      });
      button.disabled = true;
      show("sending", 0, file.size, "Sending the file…");
      xhr.send(new FormData(form));
    });
  }
  document.querySelectorAll("form[data-import]").forEach(enhanceImport);
})();
