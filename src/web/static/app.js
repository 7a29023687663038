// The Customer Champion web app: plain JavaScript over the JSON API (/api/v1), signed in by
// the page's cookie session (HttpOnly: no script sees it), with the session's CSRF token
// (in the page) on every write. Everything a user typed is put on the page with
// textContent, never as HTML.
(function () {
  "use strict";

  var API = "/api/v1";
  var state = { me: null, behaviours: null };

  // ---- small helpers -------------------------------------------------------------

  // h("p", {class: "x"}, "text", child) builds an element; strings become text nodes.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k.slice(0, 2) === "on") { el.addEventListener(k.slice(2), v); }
      else if (v === true) { el.setAttribute(k, ""); }
      else { el.setAttribute(k, String(v)); }
    });
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  function $(id) { return document.getElementById(id); }
  function view() { return $("view"); }
  function show(nodes, title) {
    var v = view();
    v.replaceChildren();
    append(v, nodes);
    document.title = (title ? title + " · " : "") + "Customer Champion";
  }
  function flash(text, kind) {
    var f = $("flash");
    f.textContent = text;
    f.className = "flash " + (kind || "ok");
    f.hidden = !text;
  }
  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }
  // Signed out (or the session ended elsewhere): to the sign-in page, coming back here.
  function toSignIn() {
    var here = window.location.pathname + window.location.search + window.location.hash;
    window.location.assign("/sign-in?next=" + encodeURIComponent(here));
  }
  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }
  function when(iso) {
    var d = new Date(iso);
    return d.toLocaleDateString(undefined, { day: "numeric", month: "short" }) + " " +
      d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  // A failed request: the problem+json body when there is one.
  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
    this.message = (problem && (problem.detail || problem.title)) || ("HTTP " + status);
  }

  function api(method, path, body, extraHeaders) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") { headers["X-CSRF-Token"] = csrfToken(); }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    return fetch(API + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        var type = res.headers.get("Content-Type") || "";
        var read = type.indexOf("json") >= 0 ? res.json() : res.text();
        return read.then(function (data) {
          if (res.ok) { return data; }
          if (res.status === 401) { toSignIn(); }
          throw new ApiError(res.status, typeof data === "object" ? data : null);
        });
      });
  }

  function errorBox(err) {
    return h("p", { class: "error", role: "alert" }, err && err.message ? err.message : String(err));
  }

  // ---- after sign-in -----------------------------------------------------------------

  function start() {
    return api("GET", "/me").then(function (me) {
      state.me = me;
      $("nav-team").hidden = !(me.is_manager || me.role === "admin");
      route();
    });
  }

  function behaviours() {
    if (state.behaviours) { return Promise.resolve(state.behaviours); }
    return api("GET", "/behaviours?limit=100").then(function (page) {
      state.behaviours = page.items.filter(function (b) { return b.active !== false; });
      return state.behaviours;
    });
  }

  function route() {
    if (!state.me) { return; }
    // A postcard's own page, linked from emails: /postcards/{id}.
    var own = window.location.pathname.match(/^\/postcards\/([^/]+)$/);
    if (own && !window.location.hash) { renderPostcard(decodeURIComponent(own[1])); return; }
    var name = (window.location.hash.replace(/^#\/?/, "") || "wall").split("?")[0];
    var views = { wall: renderWall, send: renderSend, leaderboard: renderLeaderboard, mine: renderMine, team: renderTeam, settings: renderSettings };
    var render = views[name] || renderWall;
    Array.prototype.forEach.call(document.querySelectorAll("#nav a"), function (a) {
      if (a.getAttribute("data-view") === name) { a.setAttribute("aria-current", "page"); } else { a.removeAttribute("aria-current"); }
    });
    render();
  }

  // ---- postcards ---------------------------------------------------------------------

  function names(people) { return people.map(function (p) { return p.name; }).join(", "); }

  function postcardCard(p) {
    var me = state.me;
    var mine = p.sender.id === me.id || p.recipients.some(function (r) { return r.id === me.id; });
    var count = h("span", { class: "count" }, String(p.endorsement_count));
    var label = h("span", {}, p.endorsement_count === 1 ? " endorsement" : " endorsements");
    var button = null;
    if (!mine) {
      button = h("button", {
        type: "button", class: "endorse", "aria-pressed": p.endorsed_by_me ? "true" : "false",
        // The name is the visible "+1" (WCAG 2.5.3, label in name); what it does is its description.
        title: "Endorse the postcard to " + names(p.recipients),
        onclick: function () {
          var on = button.getAttribute("aria-pressed") === "true";
          button.disabled = true;
          api(on ? "DELETE" : "POST", "/postcards/" + p.id + "/endorsements").then(function (updated) {
            button.setAttribute("aria-pressed", updated.endorsed_by_me ? "true" : "false");
            count.textContent = String(updated.endorsement_count);
            label.textContent = updated.endorsement_count === 1 ? " endorsement" : " endorsements";
          }).catch(function (err) { flash(err.message, "bad"); })
            .then(function () { button.disabled = false; });
        }
      }, "+1");
    }
    return h("article", { class: "postcard", "data-id": p.id },
      h("p", { class: "meta" },
        h("span", { class: "behaviour" }, p.behaviour.title),
        p.visibility === "private" ? h("span", { class: "private" }, "private") : null,
        h("time", { datetime: p.created_at }, when(p.created_at))),
      h("p", { class: "people" }, h("strong", {}, p.sender.name), " → ", h("strong", { class: "recipients" }, names(p.recipients))),
      h("p", { class: "story" }, p.message),
      p.customer ? h("blockquote", { class: "quote" },
        p.customer.quote ? "“" + p.customer.quote + "”" : null,
        h("cite", {}, p.customer.name)) : null,
      h("p", { class: "endorsements" }, button, " ", count, label));
  }

  // A list of postcards with "Show more", from a feed query.
  function feed(query, empty) {
    var list = h("div", { class: "feed" });
    var more = h("button", { type: "button", hidden: true }, "Show more");
    var cursor = null;
    function load() {
      more.disabled = true;
      var q = query + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return api("GET", "/postcards?" + q).then(function (page) {
        if (!page.items.length && !cursor) { append(list, h("p", { class: "empty" }, empty)); }
        page.items.forEach(function (p) { append(list, postcardCard(p)); });
        cursor = page.next_cursor;
        more.hidden = !cursor;
        more.disabled = false;
      }).catch(function (err) { append(list, errorBox(err)); });
    }
    more.addEventListener("click", load);
    load();
    return h("div", {}, list, more);
  }

  function renderWall() {
    show([
      h("div", { class: "heading" }, h("h1", {}, "The wall"), h("a", { class: "button primary", href: "#/send" }, "Send a postcard")),
      feed("limit=20", "No postcards yet. Be the first to catch a colleague doing something great for a customer!")
    ], "Wall");
  }

  function renderPostcard(id) {
    show(h("p", {}, "Loading…"), "Postcard");
    api("GET", "/postcards/" + encodeURIComponent(id)).then(function (p) {
      show([h("h1", {}, "A Customer Champion postcard"), postcardCard(p), h("a", { href: "/#/wall" }, "See the whole wall")], "Postcard");
    }).catch(function (err) {
      show([h("h1", {}, "Postcard"), errorBox(err.status === 404 ? { message: "This postcard does not exist, or is not visible to you." } : err)], "Postcard");
    });
  }

  // ---- settings ----------------------------------------------------------------------

  function renderSettings() {
    var boxes = {
      weekly_digest: "Email me the weekly digest of my team (managers)",
      notify_on_postcard: "Email me when I receive a postcard",
      show_on_leaderboard: "Show me on public leaderboards"
    };
    var status = h("p", { role: "status", class: "help", id: "settings-status" });
    var form = h("form", { class: "card narrow", id: "settings-form" });
    show([h("h1", {}, "Settings"), form], "Settings");
    api("GET", "/me/preferences").then(function (prefs) {
      append(form, [h("fieldset", { class: "field" }, h("legend", {}, "Notifications and privacy"),
        Object.keys(boxes).map(function (key) {
          var box = h("input", {
            type: "checkbox", id: "pref-" + key, checked: !!prefs[key],
            onchange: function () {
              var change = {};
              change[key] = box.checked;
              box.disabled = true;
              api("PATCH", "/me/preferences", change).then(function () {
                status.textContent = "Saved.";
              }).catch(function (err) {
                box.checked = !box.checked;
                status.textContent = err.message;
              }).then(function () { box.disabled = false; });
            }
          });
          return h("div", { class: "radio" }, box, h("label", { for: "pref-" + key }, boxes[key]));
        })), status]);
    }).catch(function (err) { append(form, errorBox(err)); });
  }

  function renderMine() {
    var me = state.me;
    show([
      h("h1", {}, "My postcards"),
      h("section", { "aria-labelledby": "received-h" }, h("h2", { id: "received-h" }, "Received"),
        feed("limit=10&recipient=" + encodeURIComponent(me.id), "None yet.")),
      h("section", { "aria-labelledby": "sent-h" }, h("h2", { id: "sent-h" }, "Sent"),
        feed("limit=10&sender=" + encodeURIComponent(me.id), "You have not sent any yet."))
    ], "My postcards");
  }

  // ---- sending -----------------------------------------------------------------------

  function fieldOf(name) {
    if (name.indexOf("recipients") === 0) { return "recipients"; }
    if (name === "customer" || name.indexOf("customer.name") === 0) { return "customer-name"; }
    if (name.indexOf("customer.quote") === 0) { return "customer-quote"; }
    return name;
  }

  function renderSend() {
    var chosen = [];
    var idempotencyKey = uuid();
    var active = -1;
    var results = [];
    var searchTimer = null;

    function fieldError(name) { return h("p", { class: "field-error", id: "error-" + name, hidden: true }); }
    var errors = {
      recipients: fieldError("recipients"), behaviour: fieldError("behaviour"), message: fieldError("message"),
      "customer-name": fieldError("customer-name"), "customer-quote": fieldError("customer-quote"), visibility: fieldError("visibility")
    };
    var general = h("div", { class: "error", role: "alert", hidden: true });

    var chips = h("ul", { class: "chips", "aria-label": "Chosen colleagues" });
    var listbox = h("ul", { id: "colleague-options", class: "options", role: "listbox", "aria-label": "Matching colleagues", hidden: true });
    var search = h("input", {
      id: "recipients", type: "text", role: "combobox", autocomplete: "off", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": "colleague-options", "aria-describedby": "recipients-help error-recipients",
      placeholder: "Type a name"
    });
    var behaviour = h("select", { id: "behaviour", name: "behaviour", "aria-describedby": "error-behaviour" }, h("option", { value: "" }, "Choose a behaviour"));
    var message = h("textarea", { id: "message", name: "message", rows: 5, maxlength: 4000, "aria-describedby": "message-count error-message" });
    var counter = h("p", { id: "message-count", class: "help" }, "0 characters");
    var customerName = h("input", { id: "customer-name", type: "text", "aria-describedby": "error-customer-name" });
    var customerQuote = h("textarea", { id: "customer-quote", rows: 2, "aria-describedby": "error-customer-quote" });
    var isPrivate = h("input", { id: "visibility-private", type: "radio", name: "visibility", value: "private" });
    var isPublic = h("input", { id: "visibility-public", type: "radio", name: "visibility", value: "public", checked: true });
    var submit = h("button", { type: "submit", class: "primary", id: "send" }, "Send postcard");

    message.addEventListener("input", function () { counter.textContent = message.value.trim().length + " characters"; });

    function renderChips() {
      chips.replaceChildren();
      chosen.forEach(function (person, i) {
        append(chips, h("li", {}, person.name + " (" + person.department + ")",
          h("button", {
            type: "button", class: "remove", "aria-label": "Remove " + person.name,
            onclick: function () { chosen.splice(i, 1); renderChips(); search.focus(); }
          }, "×")));
      });
    }
    function closeOptions() {
      listbox.hidden = true; results = []; active = -1;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
    }
    function choose(person) {
      if (!chosen.some(function (c) { return c.id === person.id; })) { chosen.push(person); }
      renderChips();
      search.value = "";
      closeOptions();
      search.focus();
    }
    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(listbox.children, function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0) { search.setAttribute("aria-activedescendant", "colleague-" + i); }
    }
    function lookUp() {
      var q = search.value.trim();
      if (q.length < 1) { closeOptions(); return; }
      api("GET", "/employees?limit=8&query=" + encodeURIComponent(q)).then(function (page) {
        if (search.value.trim() !== q) { return; }
        results = page.items.filter(function (p) { return p.id !== state.me.id; });
        listbox.replaceChildren();
        results.forEach(function (p, i) {
          append(listbox, h("li", {
            id: "colleague-" + i, role: "option", "aria-selected": "false", class: "option",
            onmousedown: function (e) { e.preventDefault(); choose(p); }
          }, h("span", { class: "name" }, p.name), " ", h("span", { class: "dept" }, p.department)));
        });
        if (!results.length) { append(listbox, h("li", { class: "option none", role: "option", "aria-disabled": "true" }, "Nobody matches “" + q + "”")); }
        listbox.hidden = false;
        search.setAttribute("aria-expanded", "true");
        highlight(results.length ? 0 : -1);
      }).catch(function (err) { flash(err.message, "bad"); });
    }
    search.addEventListener("input", function () { window.clearTimeout(searchTimer); searchTimer = window.setTimeout(lookUp, 150); });
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && results.length) { e.preventDefault(); highlight((active + 1) % results.length); }
      else if (e.key === "ArrowUp" && results.length) { e.preventDefault(); highlight((active - 1 + results.length) % results.length); }
      else if (e.key === "Enter" && !listbox.hidden && active >= 0) { e.preventDefault(); choose(results[active]); }
      else if (e.key === "Escape") { closeOptions(); }
      else if (e.key === "Backspace" && !search.value && chosen.length) { chosen.pop(); renderChips(); }
    });
    search.addEventListener("blur", function () { window.setTimeout(closeOptions, 100); });

    function clearErrors() {
      general.hidden = true;
      Object.keys(errors).forEach(function (k) {
        errors[k].hidden = true;
        var input = $(k === "visibility" ? "visibility-public" : k);
        if (input) { input.removeAttribute("aria-invalid"); }
      });
    }
    function showErrors(err) {
      var fields = (err.problem.errors || []);
      var first = null;
      fields.forEach(function (fe) {
        var key = fieldOf(fe.field);
        var box = errors[key];
        if (!box) { return; }
        box.textContent = (box.hidden ? "" : box.textContent + " ") + fe.message;
        box.hidden = false;
        var input = $(key === "visibility" ? "visibility-public" : key);
        if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
      });
      var shown = fields.some(function (fe) { return errors[fieldOf(fe.field)]; });
      general.textContent = shown && err.problem.code === "validation_failed" ? "Please correct the fields marked above." : err.message;
      general.hidden = false;
      (first || general).focus && (first || general).focus();
    }

    var form = h("form", {
      class: "card", id: "send-form", novalidate: true,
      onsubmit: function (e) {
        e.preventDefault();
        clearErrors();
        var body = {
          recipients: chosen.map(function (c) { return c.id; }),
          behaviour: behaviour.value,
          message: message.value,
          visibility: isPrivate.checked ? "private" : "public"
        };
        if (customerName.value.trim() || customerQuote.value.trim()) {
          body.customer = { name: customerName.value, quote: customerQuote.value.trim() ? customerQuote.value : null };
        }
        submit.disabled = true;
        api("POST", "/postcards", body, { "Idempotency-Key": idempotencyKey }).then(function (p) {
          flash("Postcard sent to " + names(p.recipients) + ". Thank you for catching them!", "ok");
          window.location.hash = "#/wall";
        }).catch(function (err) {
          // A refused request frees its key, but a new key is safest for a changed body.
          idempotencyKey = uuid();
          showErrors(err);
        }).then(function () { submit.disabled = false; });
      }
    },
      h("div", { class: "field" },
        h("label", { for: "recipients" }, "Who did something great for a customer?"),
        chips,
        h("div", { class: "combo" }, search, listbox),
        h("p", { id: "recipients-help", class: "help" }, "Search by name; choose up to 5 colleagues."),
        errors.recipients),
      h("div", { class: "field" }, h("label", { for: "behaviour" }, "Which behaviour?"), behaviour, errors.behaviour),
      h("div", { class: "field" },
        h("label", { for: "message" }, "The story"),
        message, counter, errors.message),
      h("fieldset", { class: "field" }, h("legend", {}, "The customer (optional)"),
        h("label", { for: "customer-name" }, "Customer name"), customerName, errors["customer-name"],
        h("label", { for: "customer-quote" }, "What the customer said"), customerQuote, errors["customer-quote"]),
      h("fieldset", { class: "field" }, h("legend", {}, "Who can see it"),
        h("div", { class: "radio" }, isPublic, h("label", { for: "visibility-public" }, "Everyone (the wall and widgets)")),
        h("div", { class: "radio" }, isPrivate, h("label", { for: "visibility-private" }, "Only the recipients, their managers and admins")),
        errors.visibility),
      general,
      submit);

    show([
      h("h1", {}, "Send a postcard"),
      h("p", { class: "help" }, "You can send " + state.me.remaining_allowance + " more this week."),
      form
    ], "Send a postcard");
    behaviours().then(function (list) {
      list.forEach(function (b) { append(behaviour, h("option", { value: b.slug, title: b.description || "" }, b.title)); });
    }).catch(function (err) { append(form, errorBox(err)); });
    api("GET", "/me").then(function (me) { state.me = me; }).catch(function () {});
    search.focus();
  }

  // ---- leaderboard -------------------------------------------------------------------

  function renderLeaderboard() {
    var period = h("select", { id: "period" },
      [["week", "This week"], ["month", "This month"], ["quarter", "This quarter"], ["year", "This year"], ["all", "All time"]].map(function (p) {
        return h("option", { value: p[0] }, p[1]);
      }));
    var mine = h("p", { class: "notice", id: "my-standing" });
    var table = h("div", { id: "board" });
    function load() {
      var q = "?period=" + period.value;
      api("GET", "/leaderboard" + q + "&limit=25").then(function (board) {
        table.replaceChildren();
        if (!board.entries.length) { append(table, h("p", { class: "empty" }, "Nobody has been recognised in this period yet.")); return; }
        append(table, h("table", { class: "board" },
          h("caption", {}, board.period.start ? board.period.start + " to " + board.period.end : "All time"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Rank"), h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Department"),
            h("th", { scope: "col", class: "num" }, "Score"), h("th", { scope: "col", class: "num" }, "Postcards"), h("th", { scope: "col", class: "num" }, "Endorsements"))),
          h("tbody", {}, board.entries.map(function (e) {
            return h("tr", { class: e.employee.id === state.me.id ? "me" : null },
              h("td", {}, String(e.rank)), h("th", { scope: "row" }, e.employee.name), h("td", {}, e.employee.department),
              h("td", { class: "num" }, String(e.score)), h("td", { class: "num" }, String(e.received)), h("td", { class: "num" }, String(e.endorsements)));
          }))));
      }).catch(function (err) { table.replaceChildren(errorBox(err)); });
      api("GET", "/leaderboard/me" + q).then(function (s) {
        mine.textContent = s.rank ? "You are ranked " + s.rank + " with " + s.score + " points." :
          "You are not on this board yet" + (s.listed === false ? " (you opted out of rankings)." : ".");
      }).catch(function () { mine.textContent = ""; });
    }
    period.addEventListener("change", load);
    show([
      h("h1", {}, "Leaderboard"),
      h("div", { class: "field inline" }, h("label", { for: "period" }, "Period"), period),
      mine, table
    ], "Leaderboard");
    load();
  }

  // ---- a manager's team --------------------------------------------------------------

  function renderTeam() {
    var frame = h("iframe", { title: "Your weekly team digest", sandbox: "", class: "digest" });
    var status = h("div", {});
    show([h("h1", {}, "My team"), h("p", { class: "help" }, "The weekly digest email as it will look, for the last finished week."), status, frame], "My team");
    api("GET", "/digests/preview?manager_id=" + encodeURIComponent(state.me.id)).then(function (html) {
      frame.setAttribute("srcdoc", html);
    }).catch(function (err) { frame.hidden = true; status.replaceChildren(errorBox(err)); });
  }

  // ---- start -------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    window.addEventListener("hashchange", function () {
      if (window.location.pathname !== "/") { window.history.replaceState(null, "", "/" + window.location.hash); }
      flashOnce();
      route();
    });
    start().catch(function (err) { show(errorBox(err), "Error"); });
  });

  // A flash message survives the navigation it announces, then goes.
  var flashSeen = false;
  function flashOnce() {
    if (flashSeen) { flash(""); }
    flashSeen = !$("flash").hidden;
  }
})();
