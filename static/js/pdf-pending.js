// "The PDF is being prepared": ask again after the server's Retry-After (in
// data-retry) and open the PDF as soon as it exists. Without JavaScript the
// page says to reload it; nothing here is needed to get the PDF.
(function () {
  "use strict";
  var box = document.querySelector("[data-pdf-pending]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-pdf-url");
  var wait = Math.max(2, parseInt(box.getAttribute("data-retry"), 10) || 10) * 1000;
  var tries = 0;
  function check() {
    tries += 1;
    fetch(url, { method: "HEAD", credentials: "same-origin" }).then(function (response) {
      if (response.ok) {
        window.location.assign(url);
      } else if (tries < 60) {
        window.setTimeout(check, wait);
      }
    }, function () {
      if (tries < 60) { window.setTimeout(check, wait); }
    });
  }
  window.setTimeout(check, wait);
})();
