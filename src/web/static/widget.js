// Refreshes a widget in place: fetches the same URL and swaps the content, so a wall
// screen never flashes a blank page. A failed fetch keeps the old content (marked stale).
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-refresh-seconds"), 10) || 60;
  function refresh() {
    fetch(window.location.href, { cache: "no-cache", credentials: "omit" })
      .then(function (res) {
        if (!res.ok) { throw new Error("HTTP " + res.status); }
        return res.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("widget");
        var current = document.getElementById("widget");
        if (fresh && current) { current.replaceWith(document.adoptNode(fresh)); }
        document.body.classList.remove("stale");
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { document.body.classList.add("stale"); })
      .then(function () { window.setTimeout(refresh, seconds * 1000); });
  }
  window.setTimeout(refresh, seconds * 1000);
})();
