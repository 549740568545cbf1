// The Exports page: while a job is queued or being built, fetch the page again every few
// seconds and put its list of jobs in place of ours, until none is pending.
(function () {
  "use strict";
  var DELAY = 3000;
  function pending(section) {
    return section && section.getAttribute("data-pending") === "true";
  }
  function refresh() {
    var section = document.getElementById("export-jobs");
    if (!pending(section)) {
      return;
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("export-jobs");
        if (fresh) {
          section.replaceWith(document.importNode(fresh, true));
        }
        window.setTimeout(refresh, DELAY);
      })
      .catch(function () {
        window.setTimeout(refresh, DELAY * 5); // the server is busy or restarting: try later
      });
  }
  window.setTimeout(refresh, DELAY);
})();
