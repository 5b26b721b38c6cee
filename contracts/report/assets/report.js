(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var only = document.getElementById("f-failures");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  var none = document.getElementById("no-match");
  var areas = Array.prototype.slice.call(document.querySelectorAll("section.area"));
  var clauses = Array.prototype.slice.call(document.querySelectorAll(".clause"));
  var haystack = clauses.map(function (c) { return c.textContent.toLowerCase(); });

  function apply() {
    var failuresOnly = only.checked;
    var q = text.value.trim().toLowerCase();
    var shown = 0;
    clauses.forEach(function (c, i) {
      var hide = (failuresOnly && c.getAttribute("data-verdict") !== "failed") ||
                 (q !== "" && haystack[i].indexOf(q) < 0);
      c.hidden = hide;
      if (!hide) shown++;
    });
    areas.forEach(function (a) {
      a.hidden = a.querySelector(".clause:not([hidden])") === null;
    });
    document.body.setAttribute("data-filter", failuresOnly ? "failures" : "all");
    count.textContent = shown === clauses.length ? clauses.length + " clauses"
                                                 : shown + " of " + clauses.length + " clauses";
    none.hidden = shown !== 0;
  }

  function writeHash() {
    var parts = [];
    if (only.checked) parts.push("failures");
    var q = text.value.trim();
    if (q) parts.push("q=" + encodeURIComponent(q));
    var url = location.pathname + location.search + (parts.length ? "#" + parts.join("&") : "");
    try { history.replaceState(null, "", url); } catch (e) { /* file: URLs in some browsers */ }
  }

  function readHash() {
    var raw = location.hash.replace(/^#/, "");
    var target = null;
    try { target = document.getElementById(decodeURIComponent(raw)); } catch (e) {}
    if (raw.indexOf("clause-") === 0 && target) {
      only.checked = false; text.value = ""; apply();
      if (target.tagName === "DETAILS") target.open = true;
      target.scrollIntoView();
      return;
    }
    var failuresOnly = false, q = "";
    raw.split("&").forEach(function (p) {
      if (p === "failures") failuresOnly = true;
      else if (p.indexOf("q=") === 0) {
        try { q = decodeURIComponent(p.slice(2)); } catch (e) { q = p.slice(2); }
      }
    });
    only.checked = failuresOnly;
    text.value = q;
    apply();
  }

  only.addEventListener("change", function () { apply(); writeHash(); });
  text.addEventListener("input", function () { apply(); writeHash(); });
  window.addEventListener("hashchange", readHash);
  document.getElementById("expand").addEventListener("click", function () {
    document.querySelectorAll("details.clause").forEach(function (d) { if (!d.hidden) d.open = true; });
  });
  document.getElementById("collapse").addEventListener("click", function () {
    document.querySelectorAll("details.clause").forEach(function (d) { d.open = false; });
  });
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("button.copy") : null;
    if (!btn) return;
    var pre = btn.parentNode.parentNode.querySelector("pre");
    var value = pre ? pre.textContent : "";
    function done(ok) {
      btn.textContent = ok ? "Copied" : "Select and copy";
      setTimeout(function () { btn.textContent = "Copy"; }, 1500);
    }
    function fallback() {
      var range = document.createRange();
      range.selectNodeContents(pre);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) {}
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(value).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  });
  readHash();
})();
