// Comfort on the server-rendered pages; every page works without it.
// - [data-copy="#id"] buttons copy that element's text;
// - forms with [data-confirm] ask before they submit (destructive actions);
// - [data-embed] forms rebuild the widget snippet and its preview as the options change.
(function () {
  "use strict";

  function onCopy(button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(source.value || source.textContent).then(function () {
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      if (status) { status.textContent = "Copied."; }
    });
  }

  function embedUpdate(form) {
    var base = form.getAttribute("data-embed");
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value && el.type !== "submit") { params.set(el.name, el.value); }
    });
    var kind = params.get("kind") || "leaderboard";
    params.delete("kind");
    var url = base + "/widgets/" + kind + "?" + params.toString();
    var snippet = '<iframe src="' + url + '" width="360" height="480" style="border:0" title="Customer Champions"></iframe>';
    var out = document.getElementById("embed-code");
    if (out) { out.value = snippet; }
    var preview = document.getElementById("embed-preview");
    if (preview && params.get("token")) { preview.src = url; }
  }

  document.addEventListener("click", function (e) {
    var copy = e.target.closest && e.target.closest("[data-copy]");
    if (copy) { onCopy(copy); }
  });
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); }
  });
  document.addEventListener("input", function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute("data-embed")) { embedUpdate(form); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-embed]"), embedUpdate);
  });
})();
