// Live preview of the statement while editing: the title, place and date as
// they will be printed, and the text rendered by the server. Without
// JavaScript the "Preview" button does the same through the server.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var preview = document.getElementById("preview");
  var target = document.getElementById("preview-body");
  if (!form || !preview || !target) { return; }

  function field(name) { return form.querySelector("[name=" + name + "]"); }
  function part(id) { return document.getElementById(id); }

  var title = field("title");
  var place = field("place");
  var date = field("date");
  var body = field("body");
  var token = field("csrf_token");

  // -- title, place and date: plain text only (textContent, never HTML) --------
  // the date is part of the text: in the text's language (the preview's lang), not the page's
  var previewEl = document.getElementById("preview");
  var locale = (previewEl && previewEl.getAttribute("lang")) || document.documentElement.lang || "en";
  var dateFormat = null;
  try {
    dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" });
  } catch (e) {
    dateFormat = null;
  }

  function formatDate(value) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) { return ""; }
    var moment = new Date(value + "T00:00:00Z");
    if (isNaN(moment.getTime())) { return ""; }
    return dateFormat ? dateFormat.format(moment) : value;
  }

  function updateHeading() {
    var titleEl = part("preview-title");
    var line = part("preview-dateline");
    var placeEl = part("preview-place");
    var separator = part("preview-separator");
    var dateEl = part("preview-date");
    if (titleEl && title) { titleEl.textContent = title.value.trim(); }
    if (!line || !placeEl || !dateEl) { return; }
    var placeText = place ? place.value.trim() : "";
    var dateValue = date ? date.value : "";
    var dateText = formatDate(dateValue);
    placeEl.textContent = placeText;
    dateEl.textContent = dateText;
    if (dateText) { dateEl.setAttribute("datetime", dateValue); } else { dateEl.removeAttribute("datetime"); }
    if (separator) { separator.hidden = !(placeText && dateText); }
    line.hidden = !(placeText || dateText);
  }

  [title, place, date].forEach(function (input) {
    if (input) {
      input.addEventListener("input", updateHeading);
      input.addEventListener("change", updateHeading);
    }
  });

  // -- the text: rendered and sanitised by the server -------------------------
  if (!body || !token || !window.fetch) { return; }
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
          target.innerHTML = json.html;
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
