// Every page: a form marked data-confirm asks before it is sent (removing a feed cannot be undone from here).
// Without JavaScript the form is sent as it is.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
})();
