/* s2d report: the overview. A sortable, filterable table of the run's videos (from the
 * page's JSON), the failed and partial ones listed with their reasons, and links to each
 * video's view (#video/<n>, whose data are loaded only when it is opened). */
"use strict";

S2D.overview = function () {
  var D = S2D.data();
  var el = S2D.el;
  var rows = D.videos.slice();
  var sortKey = "n";
  var sortDir = 1;
  var body = document.querySelector("#videos tbody");

  function link(v) {
    return "#video/" + v.n;
  }
  var counts = {};
  D.videos.forEach(function (v) { counts[v.status] = (counts[v.status] || 0) + 1; });
  document.getElementById("counts").textContent =
    D.videos.length + (D.videos.length === 1 ? " video: " : " videos: ") +
    (Object.keys(counts).map(function (s) { return counts[s] + " " + s; }).join(", ") || "none");
  S2D.legend(document.getElementById("legend"), D.classes, D.colours);

  var problems = D.videos.filter(function (v) {
    return v.status === "failed" || v.status === "partial";
  });
  if (problems.length) {
    var list = document.getElementById("problem-list");
    problems.forEach(function (v) {
      var item = el("li", { class: "status-" + v.status });
      item.appendChild(el("a", { href: link(v) }, v.video));
      item.appendChild(document.createTextNode(" (" + v.status + "): "));
      item.appendChild(el("span", { class: "error" }, v.error || "no reason recorded"));
      list.appendChild(item);
    });
    document.getElementById("problems").hidden = false;
  }

  function shareBar(v) {
    var width = 120, height = 12, x = 0;
    var bar = S2D.svg("svg", {
      width: width, height: height, viewBox: "0 0 " + width + " " + height, class: "share-bar",
      role: "img",
    });
    var parts = [];
    v.shares.forEach(function (share, i) {
      if (share <= 0) return;
      var w = share * width;
      var rect = S2D.svg("rect", { x: x, y: 0, width: w, height: height, fill: D.colours[i] });
      rect.appendChild(S2D.svg("title", null, D.classes[i] + " " + Math.round(100 * share) + "%"));
      bar.appendChild(rect);
      parts.push(D.classes[i] + " " + Math.round(100 * share) + "%");
      x += w;
    });
    bar.setAttribute("aria-label", parts.join(", ") || "no clips");
    return bar;
  }

  function cell(text, cls) {
    return el("td", cls ? { class: cls } : null, text);
  }

  function render() {
    var needle = document.getElementById("filter").value.trim().toLowerCase();
    var shown = rows.filter(function (v) {
      if (!needle) return true;
      return [v.video, v.status, v.dominant, v.error].some(function (t) {
        return String(t).toLowerCase().indexOf(needle) >= 0;
      });
    });
    var fragment = document.createDocumentFragment();
    shown.forEach(function (v) {
      var tr = el("tr", { class: "status-" + v.status, "data-n": v.n });
      tr.appendChild(cell(v.n + 1, "num"));
      var name = el("td", { class: "name" });
      name.appendChild(el("a", { href: link(v), class: "video-link" }, v.video));
      if (!v.found && (v.status === "ok" || v.status === "partial")) {
        name.appendChild(el("span", { class: "missing", title: "the video file was not found" },
                            " (file not found)"));
      }
      tr.appendChild(name);
      tr.appendChild(cell(v.status, "status"));
      tr.appendChild(cell(S2D.fixed(v.duration, 1), "num"));
      tr.appendChild(cell(v.faces, "num"));
      tr.appendChild(cell(v.clips, "num"));
      var dom = el("td");
      if (v.dominant) {
        var chip = el("span", { class: "chip" });
        var k = D.classes.indexOf(v.dominant);
        chip.style.background = k >= 0 ? D.colours[k] : "#9e9e9e";
        dom.appendChild(chip);
        dom.appendChild(document.createTextNode(v.dominant));
      }
      if (v.face_labels) dom.title = "per face: " + v.face_labels;
      tr.appendChild(dom);
      tr.appendChild(cell(v.share === null ? "" : Math.round(100 * v.share) + "%", "num"));
      tr.appendChild(cell(S2D.fixed(v.confidence, 2), "num"));
      var bars = el("td");
      bars.appendChild(shareBar(v));
      tr.appendChild(bars);
      tr.appendChild(cell(v.error, "error"));
      fragment.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(fragment);
    document.getElementById("shown").textContent =
      shown.length === rows.length ? "" : shown.length + " of " + rows.length + " shown";
  }

  function compare(a, b) {
    var x = a[sortKey], y = b[sortKey];
    var xMissing = x === null || x === undefined || x === "";
    var yMissing = y === null || y === undefined || y === "";
    if (xMissing || yMissing) return xMissing === yMissing ? a.n - b.n : xMissing ? 1 : -1;
    var order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return order ? sortDir * order : a.n - b.n;
  }

  document.querySelectorAll("#videos th").forEach(function (th) {
    if (th.dataset.type === "none") {
      th.querySelector("button").disabled = true;
      return;
    }
    th.querySelector("button").addEventListener("click", function () {
      var key = th.dataset.key;
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      document.querySelectorAll("#videos th").forEach(function (other) {
        other.setAttribute("aria-sort", "none");
      });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      rows.sort(compare);
      render();
    });
  });
  document.getElementById("filter").addEventListener("input", render);
  render();
};
