// Live preview of the statement text while editing. Without JavaScript the
// "Preview" button does the same through the server.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var preview = document.getElementById("preview");
  if (!form || !preview || !window.fetch) { return; }
  var body = form.querySelector("textarea[name=body]");
  var token = form.querySelector("input[name=csrf_token]");
  var url = preview.getAttribute("data-preview-url");
  var timer = null;
  var latest = 0;

  function update() {
    var request = ++latest;
    var data = new FormData();
    data.append("body", body.value);
    data.append("csrf_token", token.value);
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) {
        if (json && request === latest) {
          // The server returns HTML sanitised with an allow-list (no script, no img).
          preview.innerHTML = json.html;
        }
      })
      .catch(function () { /* keep the last preview */ });
  }

  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  update();
})();
