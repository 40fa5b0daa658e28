// "Copy" buttons for read-only fields marked data-copy-label (the share snippet): added
// only when scripts run, so the page without them is just the selectable field. The
// button's words come from the page (translated there); the result is announced.
(function () {
  "use strict";
  var fields = document.querySelectorAll("textarea[data-copy-label]");
  Array.prototype.forEach.call(fields, function (field) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary copy-button";
    button.textContent = field.getAttribute("data-copy-label");
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    var row = document.createElement("p");
    row.className = "actions";
    row.appendChild(button);
    row.appendChild(status);
    field.insertAdjacentElement("afterend", row);

    function done(ok) {
      status.textContent = field.getAttribute(ok ? "data-copied" : "data-copy-failed");
    }
    button.addEventListener("click", function () {
      field.focus();
      field.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(function () { done(true); },
          function () { done(document.execCommand && document.execCommand("copy")); });
      } else {
        done(document.execCommand && document.execCommand("copy"));
      }
    });
  });
})();
