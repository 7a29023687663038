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

  // The same address as the server builds (widgets.rs, Embed::url); the wall takes no
  // period or department.
  function embedUpdate(form) {
    var base = form.getAttribute("data-embed");
    var kind = form.elements.kind.value === "wall" ? "wall" : "leaderboard";
    var names = kind === "wall" ? ["token", "limit", "theme"] : ["token", "period", "department", "limit", "theme"];
    var params = new URLSearchParams();
    names.forEach(function (n) {
      var v = form.elements[n] ? form.elements[n].value.trim() : "";
      if (v) { params.set(n, v); }
    });
    var path = "/widgets/" + kind + "?" + params.toString();
    var out = document.getElementById("embed-code");
    if (out) { out.value = '<iframe src="' + base + path + '" width="360" height="480" style="border:0" title="Customer Champions"></iframe>'; }
    var preview = document.getElementById("embed-preview");
    var empty = document.getElementById("embed-preview-empty");
    if (preview && params.get("token")) {
      if (preview.getAttribute("src") !== path) { preview.setAttribute("src", path); }
      preview.hidden = false;
      if (empty) { empty.hidden = true; }
    }
  }

  // A file chosen for a [data-fills="#textarea"] input is read into that textarea.
  document.addEventListener("change", function (e) {
    var target = e.target.getAttribute && e.target.getAttribute("data-fills");
    var area = target && document.querySelector(target);
    if (!area || !e.target.files || !e.target.files[0]) { return; }
    e.target.files[0].text().then(function (text) { area.value = text; });
  });

  document.addEventListener("click", function (e) {
    var copy = e.target.closest && e.target.closest("[data-copy]");
    if (copy) { onCopy(copy); }
  });
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); }
  });
  function onEdit(e) {
    var form = e.target.form;
    if (form && form.hasAttribute("data-embed")) { embedUpdate(form); }
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-embed]"), embedUpdate);
  });
})();
