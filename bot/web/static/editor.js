// The watchlist editor: leaving the page (a link, Back, closing the tab) with the text changed and not saved asks
// first, as a text editor would. Saving or a full-page preview submits the text, so it asks nothing then.
(function () {
  "use strict";
  var text = document.getElementById("text");
  var form = document.getElementById("editor");
  if (!text || !form) return;
  var saved = text.value;
  var leaving = false;
  form.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("beforeunload", function (event) {
    if (leaving || text.value === saved) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
