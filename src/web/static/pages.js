// Comfort on the server-rendered pages; every page works without it.
// - [data-copy="#id"] buttons copy that element's text;
// - forms with [data-confirm] ask before they submit (destructive actions);
// - [data-embed] forms rebuild the widget snippet and its preview as the options change;
// - [data-counter] text areas count their characters;
// - "+1" forms endorse without a reload (through the API, with the page's CSRF token);
// - the send form searches colleagues as you type (a combobox) instead of taking emails.
// Whatever people typed is put on the page as text (textContent), never as HTML.
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

  // ---- characters left --------------------------------------------------------------
  function count(area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (out) { out.textContent = area.value.length + " of " + area.getAttribute("maxlength") + " characters"; }
  }
  document.addEventListener("input", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-counter")) { count(e.target); }
    // A field's problem goes as soon as the field is being fixed.
    if (e.target.getAttribute && e.target.getAttribute("aria-invalid") === "true") { clearProblem(e.target); }
  });
  document.addEventListener("change", function (e) {
    var fieldset = e.target.closest && e.target.closest("fieldset.picker");
    if (fieldset) { clearProblem(fieldset); }
  });
  function clearProblem(el) {
    el.removeAttribute("aria-invalid");
    var box = el.closest(".field, fieldset") || el.parentNode;
    Array.prototype.forEach.call(box.querySelectorAll(".field-error"), function (p) { p.hidden = true; });
  }

  // ---- +1 without a reload ----------------------------------------------------------
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("pc-endorse") || e.defaultPrevented) { return; }
    e.preventDefault();
    var button = form.querySelector("button");
    var on = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    fetch("/api/v1/postcards/" + encodeURIComponent(form.getAttribute("data-postcard")) + "/endorsements", {
      method: on ? "DELETE" : "POST",
      headers: { "X-CSRF-Token": form.elements.csrf_token.value, "Accept": "application/json" }
    }).then(function (res) {
      if (!res.ok) { throw new Error(String(res.status)); }
      return res.json();
    }).then(function (p) {
      button.setAttribute("aria-pressed", p.endorsed_by_me ? "true" : "false");
      button.textContent = "+1 · " + p.endorsement_count;
    }).catch(function () {
      form.submit(); // the page's own way: it reloads and says what happened
    }).then(function () { button.disabled = false; });
  });

  // ---- colleague search on the send form --------------------------------------------
  function initials(name) {
    return name.split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w.charAt(0).toUpperCase(); }).join("") || "?";
  }
  function tone(id) {
    // FNV-1a over the id's bytes, as the server picks a person's colour (cards.rs).
    var h = BigInt("0xcbf29ce484222325"), prime = BigInt("0x100000001b3"), mask = (BigInt(1) << BigInt(64)) - BigInt(1);
    var bytes = new TextEncoder().encode(id);
    for (var i = 0; i < bytes.length; i++) { h = ((h ^ BigInt(bytes[i])) * prime) & mask; }
    return Number(h % BigInt(6));
  }
  function avatarEl(person) {
    var a = document.createElement("span");
    a.className = "avatar t" + tone(person.id);
    a.setAttribute("aria-hidden", "true");
    a.textContent = initials(person.name);
    return a;
  }
  function addChip(chips, person) {
    if (chips.querySelector('li[data-id="' + CSS.escape(person.id) + '"]')) { return; }
    var li = document.createElement("li");
    li.setAttribute("data-id", person.id);
    var hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = "recipient"; hidden.value = person.id;
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "remove"; remove.textContent = "×";
    remove.setAttribute("aria-label", "Remove " + person.name);
    li.append(hidden, avatarEl(person), document.createTextNode(person.name), remove);
    chips.appendChild(li);
  }
  function initSearch(input) {
    var chips = document.getElementById("chips");
    var list = document.getElementById("colleague-options");
    var status = document.createElement("p");
    status.className = "visually-hidden"; status.setAttribute("role", "status");
    input.parentNode.appendChild(status);
    // With script, the box searches; it no longer sends typed addresses.
    input.removeAttribute("name");
    input.value = "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "colleague-options");
    var help = document.getElementById("recipients-help");
    if (help) { help.textContent = "Type a colleague's name, then pick them with the arrow keys and Enter, or a click."; }
    var found = [], active = -1, timer = null, asked = 0;
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
    function mark(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      if (i >= 0) { input.setAttribute("aria-activedescendant", "colleague-" + i); }
    }
    function choose(i) {
      var person = found[i];
      if (!person) { return; }
      addChip(chips, person);
      input.value = ""; close();
      status.textContent = person.name + " added.";
      clearProblem(input);
      input.focus();
    }
    function search() {
      var q = input.value.trim();
      if (q.length < 1) { close(); return; }
      var mine = ++asked;
      fetch("/api/v1/employees?limit=8&query=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (res) { if (!res.ok) { throw new Error(String(res.status)); } return res.json(); })
        .then(function (page) {
          if (mine !== asked) { return; }
          found = page.items;
          list.replaceChildren();
          found.forEach(function (p, i) {
            var li = document.createElement("li");
            li.id = "colleague-" + i; li.className = "option"; li.setAttribute("role", "option");
            var dept = document.createElement("span"); dept.className = "dept"; dept.textContent = p.department;
            li.append(avatarEl(p), document.createTextNode(p.name + " "), dept);
            li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
            list.appendChild(li);
          });
          if (!found.length) {
            var none = document.createElement("li"); none.className = "option"; none.setAttribute("aria-disabled", "true");
            none.textContent = "Nobody by that name in the directory."; list.appendChild(none);
          }
          list.hidden = false; input.setAttribute("aria-expanded", "true");
          mark(found.length ? 0 : -1);
          status.textContent = found.length ? found.length + " colleagues found." : "Nobody found.";
        })
        .catch(function () { status.textContent = "The search is not answering; check your connection."; });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 150); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && found.length) { e.preventDefault(); mark(Math.min(active + 1, found.length - 1)); }
      else if (e.key === "ArrowUp" && found.length) { e.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && !list.hidden) { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    chips.addEventListener("click", function (e) {
      var remove = e.target.closest(".remove");
      if (!remove) { return; }
      var li = remove.closest("li");
      status.textContent = li.textContent.replace("×", "").trim() + " removed.";
      li.remove();
      input.focus();
    });
  }

  // Offline: say so in words, instead of the browser's error page after a submit.
  function offlineNotice() {
    var note = document.getElementById("offline");
    if (!navigator.onLine && !note) {
      note = document.createElement("p");
      note.id = "offline"; note.className = "error"; note.setAttribute("role", "alert");
      note.textContent = "You're offline. What you typed stays here; send it when you're back.";
      var main = document.getElementById("main");
      if (main) { main.insertBefore(note, main.firstChild); }
    } else if (navigator.onLine && note) { note.remove(); }
  }
  window.addEventListener("offline", offlineNotice);
  window.addEventListener("online", offlineNotice);
  document.addEventListener("submit", function (e) {
    if (!navigator.onLine && !e.defaultPrevented) { e.preventDefault(); offlineNotice(); }
  }, true);

  // A frame that has loaded stops its loading shimmer.
  document.addEventListener("load", function (e) {
    if (e.target.tagName === "IFRAME") { e.target.classList.add("loaded"); }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var search = document.getElementById("recipients");
    if (search && document.getElementById("chips")) { initSearch(search); }
    Array.prototype.forEach.call(document.querySelectorAll("[data-counter]"), count);
  });
})();
