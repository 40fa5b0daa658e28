// After a form comes back with errors, move the focus to the summary of the
// problems so keyboard and screen-reader users start there.
(function () {
  "use strict";
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
})();
