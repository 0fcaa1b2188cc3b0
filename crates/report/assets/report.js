// policylens report: renders the coverage matrix (a page at a time) and the
// per-policy view (only for the policy opened) from the JSON blob in the
// element #data. The blob's layout is documented in crates/report/src/data.rs.
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("data").textContent);
  var LABELS = D.labels;
  var CORE = {};
  D.core.forEach(function (j) { CORE[j] = true; });
  // Positions in a doc tuple and a clause tuple.
  var ID = 0, TITLE = 1, PATH = 2, FORMAT = 3, COUNTS = 4, HEADINGS = 5, CLAUSES = 6;
  var C_HEADING = 0, C_TEXT = 1, C_LABELS = 2, C_SCORES = 3;

  var byId = {};
  D.docs.forEach(function (d, i) { byId[d[ID]] = i; });
  // Paths in the matrix are shown below the folder all policies share.
  var common = D.docs.length > 1 ? D.docs.reduce(function (p, d) {
    var i = 0;
    while (i < p.length && i < d[PATH].length && p[i] === d[PATH][i]) i += 1;
    return p.slice(0, i);
  }, D.docs[0][PATH]) : "";
  common = common.slice(0, common.lastIndexOf("/") + 1);
  function shortPath(p) { return p.slice(common.length); }
  function missingCore(d) {
    return D.core.filter(function (j) { return d[COUNTS][j] === 0; });
  }

  // A DOM element: el("td", {class: "x", text: "y"}, [children]).
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "text") e.textContent = v;
      else if (k === "hue") e.style.setProperty("--h", String(v));
      else e.setAttribute(k, v === true ? "" : String(v));
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  function fmt(n) { return n.toLocaleString("en-US"); }
  function score(permille) { return permille === null ? "–" : (permille / 1000).toFixed(2); }

  // ---------------------------------------------------------------- matrix
  var state = { q: "", missing: -1, sort: "path", page: 0 };
  var $ = function (id) { return document.getElementById(id); };
  var matrix = $("matrix");

  function buildHead() {
    var cells = [el("th", { text: "policy" }), el("th", { class: "num", text: "clauses" })];
    LABELS.forEach(function (name, j) {
      cells.push(el("th", { class: "label" + (CORE[j] ? " core" : ""), title: name + (CORE[j] ? " (core practice)" : "") }, [el("span", { text: name })]));
    });
    cells.push(el("th", { text: "core practices missing" }));
    matrix.tHead.appendChild(el("tr", {}, cells));
    var select = $("missing-filter");
    LABELS.forEach(function (name, j) {
      select.appendChild(el("option", { value: j, text: "missing " + name }));
    });
  }

  function selectedDocs() {
    var q = state.q.trim().toLowerCase();
    var rows = [];
    D.docs.forEach(function (d, i) {
      if (state.missing >= 0 && d[COUNTS][state.missing] > 0) return;
      if (q && (d[TITLE] + "\n" + d[PATH] + "\n" + d[ID]).toLowerCase().indexOf(q) < 0) return;
      rows.push(i);
    });
    var key = {
      path: function (a, b) { return D.docs[a][PATH] < D.docs[b][PATH] ? -1 : D.docs[a][PATH] > D.docs[b][PATH] ? 1 : 0; },
      title: function (a, b) { return D.docs[a][TITLE].localeCompare(D.docs[b][TITLE]); },
      missing: function (a, b) { return missingCore(D.docs[b]).length - missingCore(D.docs[a]).length; },
      "clauses-desc": function (a, b) { return D.docs[b][CLAUSES].length - D.docs[a][CLAUSES].length; },
      "clauses-asc": function (a, b) { return D.docs[a][CLAUSES].length - D.docs[b][CLAUSES].length; }
    }[state.sort];
    rows.sort(function (a, b) { return key(a, b) || a - b; });
    return rows;
  }

  function renderMatrix() {
    var rows = selectedDocs();
    var pages = Math.max(1, Math.ceil(rows.length / D.page));
    state.page = Math.min(state.page, pages - 1);
    var first = state.page * D.page;
    var shown = rows.slice(first, first + D.page);
    var body = el("tbody");
    shown.forEach(function (i) {
      var d = D.docs[i];
      var cells = [
        el("td", { class: "doc" }, [
          el("a", { href: "#doc=" + encodeURIComponent(d[ID]), text: d[TITLE] }),
          el("div", { class: "path", title: d[PATH], text: shortPath(d[PATH]) })
        ]),
        el("td", { class: "num", text: fmt(d[CLAUSES].length) })
      ];
      LABELS.forEach(function (name, j) {
        var n = d[COUNTS][j];
        if (n > 0) {
          cells.push(el("td", { class: "cell yes", hue: D.hues[j], "data-label": name, title: name + ": " + n + " clause" + (n === 1 ? "" : "s"), text: n }));
        } else {
          cells.push(el("td", { class: "cell miss" + (CORE[j] ? " core" : ""), "data-label": name, title: name + ": not disclosed", text: CORE[j] ? "✕" : "·" }));
        }
      });
      var missing = missingCore(d).map(function (j) { return LABELS[j]; });
      cells.push(el("td", { class: "missing-list", text: missing.join(", ") }));
      body.appendChild(el("tr", { "data-doc": d[ID] }, cells));
    });
    if (!shown.length) {
      body.appendChild(el("tr", {}, [el("td", { class: "empty", colspan: LABELS.length + 3, text: "No policy matches." })]));
    }
    matrix.replaceChild(body, matrix.tBodies[0]);
    $("page-info").textContent = rows.length
      ? "Page " + (state.page + 1) + " of " + pages + " · policies " + fmt(first + 1) + "–" + fmt(first + shown.length) + " of " + fmt(rows.length)
      : "0 policies";
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    document.querySelectorAll("#prevalence .bar").forEach(function (b) {
      b.classList.toggle("selected", state.missing >= 0 && b.getAttribute("data-label") === LABELS[state.missing]);
    });
  }

  function setMissing(j) {
    state.missing = j;
    state.page = 0;
    $("missing-filter").value = j >= 0 ? String(j) : "";
    renderMatrix();
  }

  function wireOverview() {
    $("search").addEventListener("input", function (e) { state.q = e.target.value; state.page = 0; renderMatrix(); });
    $("sort").addEventListener("change", function (e) { state.sort = e.target.value; state.page = 0; renderMatrix(); });
    $("missing-filter").addEventListener("change", function (e) { setMissing(e.target.value === "" ? -1 : Number(e.target.value)); });
    $("prev").addEventListener("click", function () { state.page -= 1; renderMatrix(); });
    $("next").addEventListener("click", function () { state.page += 1; renderMatrix(); });
    document.querySelectorAll("#prevalence .bar").forEach(function (bar) {
      var pick = function () {
        var j = LABELS.indexOf(bar.getAttribute("data-label"));
        setMissing(state.missing === j ? -1 : j);
        $("coverage").scrollIntoView({ block: "start" });
      };
      bar.addEventListener("click", pick);
      bar.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
    });
  }

  // ------------------------------------------------------------ policy view
  var policy = $("policy");
  var overview = $("overview");
  var overviewScroll = 0;

  function chip(j, text, extra) {
    return el("button", { type: "button", class: "chip" + (extra || ""), hue: D.hues[j], "data-label": LABELS[j] }, [LABELS[j] + " ", el("b", { text: text })]);
  }

  function route(params) {
    location.hash = Object.keys(params).filter(function (k) { return params[k] !== "" && params[k] !== null; })
      .map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  function renderPolicy(i, label, showLow) {
    var d = D.docs[i];
    var lj = label ? LABELS.indexOf(label) : -1;
    var clauses = d[CLAUSES];
    var list = el("ol", { id: "clauses" });
    var shown = 0, lastHeading = null;
    clauses.forEach(function (c, pos) {
      if (lj >= 0 && c[C_LABELS].indexOf(lj) < 0) return;
      shown += 1;
      var heading = c[C_HEADING] >= 0 ? d[HEADINGS][c[C_HEADING]] : "";
      if (heading !== lastHeading) {
        if (heading) list.appendChild(el("li", { class: "section-heading", text: heading }));
        lastHeading = heading;
      }
      var chips = c[C_LABELS].slice().sort(function (a, b) { return c[C_SCORES][b] - c[C_SCORES][a]; })
        .map(function (j) { return chip(j, score(c[C_SCORES][j]), j === lj ? " active" : ""); });
      if (showLow) {
        c[C_SCORES].map(function (s, j) { return [s, j]; })
          .filter(function (p) { return p[0] !== null && p[0] >= 100 && c[C_LABELS].indexOf(p[1]) < 0; })
          .sort(function (a, b) { return b[0] - a[0]; })
          .forEach(function (p) { chips.push(chip(p[1], score(p[0]), " low")); });
      }
      if (!chips.length) chips.push(el("span", { class: "none", text: "no label" }));
      list.appendChild(el("li", { class: "clause", "data-position": pos, "data-labels": c[C_LABELS].map(function (j) { return LABELS[j]; }).join(" ") }, [
        el("span", { class: "pos", text: String(pos + 1) }),
        el("div", {}, [el("p", { class: "text", text: c[C_TEXT] }), el("div", { class: "chips" }, chips)])
      ]));
    });

    var select = el("select", { id: "label-filter" }, [el("option", { value: "", text: "all labels (" + clauses.length + ")" })]);
    LABELS.forEach(function (name, j) {
      select.appendChild(el("option", { value: name, text: name + " (" + d[COUNTS][j] + ")", disabled: d[COUNTS][j] === 0 && j !== lj }));
    });
    select.value = lj >= 0 ? label : "";
    var low = el("input", { type: "checkbox", id: "show-low", checked: showLow });
    var summary = LABELS.map(function (name, j) {
      return chip(j, String(d[COUNTS][j]), (d[COUNTS][j] ? "" : " zero") + (j === lj ? " active" : ""));
    });
    var missing = missingCore(d).map(function (j) { return LABELS[j]; });

    var view = el("div", { class: "panel" }, [
      el("a", { class: "back", href: "#", text: "← All policies" }),
      el("h2", { id: "policy-title", text: d[TITLE] }),
      el("p", { class: "doc-meta" }, [d[PATH] + " · " + (d[FORMAT] || "?") + " · " + fmt(clauses.length) + " clauses · ", el("code", { text: d[ID].slice(0, 16) })]),
      el("div", { class: "summary-chips", id: "summary-chips" }, summary),
      missing.length ? el("p", { class: "not-disclosed", text: "Core practices not disclosed: " + missing.join(", ") }) : null
    ]);
    var controls = el("div", { class: "controls" }, [
      el("label", {}, ["Filter by label ", select]),
      el("label", {}, [low, " also show the scores of labels not predicted (≥ 0.10)"]),
      el("span", { id: "clause-count", text: "Showing " + fmt(shown) + " of " + fmt(clauses.length) + " clauses" })
    ]);
    var body = el("div", { class: "panel" }, [controls, list]);
    policy.replaceChildren(view, body);

    var go = function (l, s) { route({ doc: d[ID], label: l, low: s ? "1" : "" }); };
    select.addEventListener("change", function () { go(select.value, low.checked); });
    low.addEventListener("change", function () { go(select.value, low.checked); });
    policy.addEventListener("click", onChip);
    function onChip(e) {
      var b = e.target.closest(".chip");
      if (!b || !policy.contains(b)) return;
      var name = b.getAttribute("data-label");
      go(name === label ? "" : name, low.checked);
    }
    policy._off = function () { policy.removeEventListener("click", onChip); };
  }

  function params() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var k = kv.split("=")[0];
      if (k) out[k] = decodeURIComponent(kv.slice(k.length + 1));
    });
    return out;
  }

  function show() {
    var p = params();
    var i = p.doc !== undefined ? byId[p.doc] : undefined;
    if (policy._off) { policy._off(); policy._off = null; }
    if (i === undefined) {
      var wasPolicy = !policy.hidden;
      policy.hidden = true;
      policy.replaceChildren();
      overview.hidden = false;
      document.title = D.title;
      if (wasPolicy) window.scrollTo(0, overviewScroll);
      return;
    }
    if (!overview.hidden) overviewScroll = window.scrollY;
    var sameDoc = !policy.hidden && policy.getAttribute("data-doc") === p.doc;
    overview.hidden = true;
    policy.hidden = false;
    policy.setAttribute("data-doc", p.doc);
    var y = window.scrollY;
    renderPolicy(i, p.label || "", p.low === "1");
    document.title = D.docs[i][TITLE] + " · " + D.title;
    window.scrollTo(0, sameDoc ? y : 0);
  }

  buildHead();
  wireOverview();
  renderMatrix();
  window.addEventListener("hashchange", show);
  show();
  document.documentElement.setAttribute("data-ready", "1");
})();
