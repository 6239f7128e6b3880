/* s2d report: the page's two views and the loading of a video's data on demand.
 *
 * "#" shows the overview; "#video/<n>" the n-th video, whose data are in videos/<n>.js: a
 * <script> added when the video is first opened, which calls S2D.receive(data) (a fetch() of a
 * local file is refused under file://, a script is not). The back button works as usual. */
"use strict";

(function () {
  var D = S2D.data();
  var cache = {}, wanted = null;
  var overview = document.getElementById("overview");
  var view = document.getElementById("view");
  var loading = document.getElementById("v-loading");

  document.getElementById("title").textContent = D.facts.title;
  document.getElementById("facts").textContent = D.facts.line;
  S2D.overview();

  S2D.receive = function (data) {
    cache[data.n] = data;
    if (data.n === wanted) open(data);
  };

  function open(data) {
    loading.hidden = true;
    view.hidden = false;
    S2D.player.show(data);
  }

  function neighbours(n) {
    [["prev-video", n - 1], ["next-video", n + 1]].forEach(function (pair) {
      var a = document.getElementById(pair[0]), v = D.videos[pair[1]];
      a.hidden = !v;
      if (v) {
        a.setAttribute("href", "#video/" + v.n);
        a.setAttribute("title", v.video);
      }
    });
  }

  function route() {
    var match = /^#video\/(\d+)$/.exec(location.hash);
    var n = match ? Number(match[1]) : null;
    S2D.player.hide();
    if (n === null || !D.videos[n]) {
      wanted = null;
      view.hidden = true;
      overview.hidden = false;
      document.title = D.facts.title;
      return;
    }
    wanted = n;
    overview.hidden = true;
    document.title = D.videos[n].video + " \u2013 " + D.facts.title;
    neighbours(n);
    window.scrollTo(0, 0);
    if (cache[n]) {
      open(cache[n]);
      return;
    }
    view.hidden = false;
    ["v-title", "v-facts"].forEach(function (id) { document.getElementById(id).textContent = ""; });
    document.getElementById("faces").textContent = "";
    loading.textContent = "loading videos/" + n + ".js \u2026";
    loading.hidden = false;
    var script = document.createElement("script");
    script.src = "videos/" + n + ".js";
    script.onerror = function () {
      script.remove();
      if (wanted === n) {
        loading.textContent = "videos/" + n + ".js is missing beside index.html: copy the " +
          "whole report folder, not index.html alone.";
      }
    };
    document.head.appendChild(script);
  }

  window.addEventListener("hashchange", route);
  route();
})();
