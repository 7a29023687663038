// Refreshes a widget in place: fetches the same URL and swaps the content, so a wall
// screen never flashes a blank page. A failed fetch keeps the old content (marked stale).
// Pages carry an ETag: an unchanged board costs the server a 304 and no rendering.
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
        // An unchanged board comes back as the browser's copy (the server answered 304):
        // say when it was last checked, not when that copy was made.
        var updated = document.querySelector("#widget .updated");
        if (updated) {
          var now = new Date();
          updated.textContent = "Updated " + String(now.getHours()).padStart(2, "0") + ":" +
            String(now.getMinutes()).padStart(2, "0");
        }
        document.body.classList.remove("stale");
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { document.body.classList.add("stale"); })
      .then(function () { window.setTimeout(refresh, seconds * 1000); });
  }
  window.setTimeout(refresh, seconds * 1000);
})();
