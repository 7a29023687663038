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
        if (fresh && current) { current.replaceWith(document.adoptNode(fresh)); fit(); }
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

  // The wall on a screen: only the postcards that fit are shown (never a scrollbar), and the
  // others come round in turn every data-rotate-seconds; hovering or focusing pauses it.
  var start = 0, paused = false;
  function fit() {
    var wall = document.querySelector(".wall");
    if (!wall || !wall.children.length) { return; }
    var cards = Array.prototype.slice.call(wall.children);
    start = start % cards.length;
    cards.forEach(function (c) { c.hidden = true; });
    var shown = 0;
    for (var i = 0; i < cards.length; i++) {
      var card = cards[(start + i) % cards.length];
      card.hidden = false;
      if (shown > 0 && document.documentElement.scrollHeight > window.innerHeight) { card.hidden = true; break; }
      shown++;
    }
    wall.setAttribute("data-shown", String(shown));
  }
  function rotate() {
    var wall = document.querySelector(".wall");
    var secs = (wall && parseInt(wall.getAttribute("data-rotate-seconds"), 10)) || 15;
    if (wall && !paused) {
      var shown = parseInt(wall.getAttribute("data-shown"), 10) || wall.children.length;
      if (shown < wall.children.length) { start += shown; fit(); }
    }
    window.setTimeout(rotate, secs * 1000);
  }
  document.addEventListener("mouseover", function () { paused = true; });
  document.documentElement.addEventListener("mouseleave", function () { paused = false; });
  document.addEventListener("focusin", function () { paused = true; });
  document.addEventListener("focusout", function () { paused = false; });
  window.addEventListener("resize", fit);
  fit();
  window.setTimeout(rotate, ((document.querySelector(".wall") &&
    parseInt(document.querySelector(".wall").getAttribute("data-rotate-seconds"), 10)) || 15) * 1000);
})();
