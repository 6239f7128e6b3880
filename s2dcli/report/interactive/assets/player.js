/* s2d report: one video's view. The <video> (linked to the original file, or its copy), the
 * face boxes and labels drawn on a canvas over it in step with the playhead (from the clip
 * rows' boxes: nothing is decoded twice), and per face a timeline of the class probabilities
 * with its label ribbon. Clicking a timeline or a segment seeks; space plays; the arrows step
 * to the previous / next segment of the chosen label and face.
 *
 * When the browser cannot play the video (its codec, or the file moved), a note says so and
 * the view runs on its own clock, so the timelines, keys and seeking still work. */
"use strict";

S2D.player = (function () {
  var EPS = 0.01; // seconds: "after the playhead" means later than this
  var video = document.getElementById("video");
  var canvas = document.getElementById("overlay");
  var note = document.getElementById("video-note");
  var V = null, timelines = [], segs = [], useVideo = false, raf = 0;
  var own = { t: 0, playing: false, last: 0 }; // the clock without a playable video

  /* ---- the clock: the video's, or our own ---- */
  function now() {
    return useVideo ? video.currentTime : own.t;
  }

  function playing() {
    return useVideo ? !video.paused && !video.ended : own.playing;
  }

  function seek(t) {
    t = S2D.clamp(t, 0, V.span);
    if (useVideo) video.currentTime = t;
    else own.t = t;
    update();
  }

  function toggle() {
    if (useVideo) {
      if (video.paused || video.ended) {
        var started = video.play();
        if (started && started.catch) started.catch(function () {});
      } else {
        video.pause();
      }
    } else {
      own.playing = !own.playing && own.t < V.span;
      own.last = performance.now();
      if (own.playing) loop();
    }
    update();
  }

  function loop() {
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(function tick(stamp) {
      if (!useVideo && own.playing) {
        own.t = Math.min(own.t + (stamp - own.last) / 1000, V.span);
        own.last = stamp;
        if (own.t >= V.span) own.playing = false;
      }
      update();
      if (playing()) raf = requestAnimationFrame(tick);
    });
  }

  function noVideo(message) {
    useVideo = false;
    own.t = video.currentTime || 0;
    video.hidden = true; // a black box with a spinner would say "wait"
    note.textContent = message;
    note.hidden = false;
    update();
  }

  video.addEventListener("error", function () {
    if (!V || !video.getAttribute("src")) return;
    var codes = { 1: "aborted", 2: "network error", 3: "decoding failed",
                  4: "format not supported, or the file is not there" };
    var code = video.error ? video.error.code : 0;
    noVideo("This browser cannot play " + V.video + " (" + (codes[code] || "error " + code) +
            "; it looked for " + decodeURI(V.src) + "). The timelines, the keys and seeking " +
            "still work on the report's own clock. To watch it here, convert it to H.264 MP4 " +
            "or WebM (e.g. ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4) and write the " +
            "report again, or watch it in VLC beside the report.");
  });
  ["play", "seeked", "loadedmetadata", "loadeddata"].forEach(function (name) {
    video.addEventListener(name, function () {
      update();
      if (name === "play") loop();
    });
  });
  ["pause", "seeking", "timeupdate"].forEach(function (name) { // the native scrubber too
    video.addEventListener(name, update);
  });
  window.addEventListener("resize", function () {
    if (V) { layout(); drawTimelines(); update(); }
  });

  /* ---- where each face is at time t ---- */
  function clipAt(face, t) {
    var lo = 0, hi = face.own_start.length - 1, found = -1;
    while (lo <= hi) { // the last clip whose owned span starts at or before t
      var mid = (lo + hi) >> 1;
      if (face.own_start[mid] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return -1;
    var last = found === face.own_start.length - 1;
    return t < face.own_end[found] || (last && t <= face.own_end[found]) ? found : -1;
  }

  function adjacent(face, i, j) {
    return j >= 0 && j < face.box.length &&
      Math.abs(face.own_start[Math.max(i, j)] - face.own_end[Math.min(i, j)]) < 1e-6;
  }

  /* The box of clip i, moved linearly towards its neighbour's between their centres. */
  function boxAt(face, i, t) {
    var centre = function (k) { return (face.start[k] + face.end[k]) / 2; };
    var j = t >= centre(i) ? i + 1 : i - 1;
    if (!adjacent(face, i, j)) return face.box[i].slice();
    var a = face.box[i], b = face.box[j], ca = centre(i), cb = centre(j);
    var f = cb === ca ? 0 : S2D.clamp((t - ca) / (cb - ca), 0, 1);
    return a.map(function (v, k) { return v + f * (b[k] - v); });
  }

  function boxesAt(t) {
    var out = [];
    V.faces.forEach(function (face) {
      var i = clipAt(face, t);
      if (i < 0) return;
      var box = boxAt(face, i, t).map(function (v) { return Math.round(v * 10) / 10; });
      out.push({ face: face.id, clip: i, box: box, label: V.classes[face.label[i]],
                 colour: V.colours[face.label[i]], confidence: face.confidence[i] });
    });
    return out;
  }

  /* ---- drawing ---- */
  function layout() {
    var w = video.clientWidth, h = video.clientHeight, ratio = window.devicePixelRatio || 1;
    canvas.style.width = w + "px"; // CSSOM: allowed by the page's CSP
    canvas.style.height = h + "px";
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }

  function drawOverlay(t) {
    var boxes = boxesAt(t), drawn = [];
    var ctx = canvas.getContext("2d"), ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(video.clientWidth * ratio) ||
        canvas.height !== Math.round(video.clientHeight * ratio)) layout(); // size now known
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    var vw = video.videoWidth, vh = video.videoHeight;
    if (useVideo && vw && vh) {
      var cw = video.clientWidth, ch = video.clientHeight;
      var scale = Math.min(cw / vw, ch / vh);
      var ox = (cw - vw * scale) / 2, oy = (ch - vh * scale) / 2;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.font = "12px sans-serif";
      ctx.textBaseline = "top";
      boxes.forEach(function (b) {
        var x = ox + b.box[0] * scale, y = oy + b.box[1] * scale;
        var w = b.box[2] * scale, h = b.box[3] * scale;
        ctx.lineWidth = 3;
        ctx.strokeStyle = b.colour;
        ctx.strokeRect(x, y, w, h);
        var text = "face " + b.face + ": " + b.label + " " + b.confidence.toFixed(2);
        var tw = ctx.measureText(text).width + 6;
        var ty = y >= 17 ? y - 17 : y + h + 17 <= ch ? y + h : y + 1.5; // above, below, inside
        ctx.fillStyle = b.colour;
        ctx.fillRect(x - 1.5, ty, tw, 17);
        ctx.fillStyle = S2D.ink(b.colour);
        ctx.fillText(text, x + 1.5, ty + 2);
        drawn.push([Math.round(x), Math.round(y), Math.round(w), Math.round(h)]);
      });
    }
    // What the tests (and anyone curious) can read: the boxes in video pixels and on screen.
    canvas.setAttribute("data-t", t.toFixed(3));
    canvas.setAttribute("data-boxes", JSON.stringify(boxes.map(function (b) {
      return { face: b.face, clip: b.clip, box: b.box, label: b.label };
    })));
    canvas.setAttribute("data-drawn", JSON.stringify(drawn));
  }

  function drawTimelines() {
    var holder = document.getElementById("faces");
    holder.textContent = "";
    segs = [];
    var width = Math.max(holder.clientWidth, 320);
    timelines = V.faces.map(function (face) {
      var box = S2D.el("section", { class: "face", id: "face-" + face.id });
      var head = S2D.el("h3", null, "face " + face.id);
      if (face.dominant >= 0) {
        head.appendChild(S2D.el("span", { class: "facts" }, "  mostly " +
          V.classes[face.dominant] + " (" + Math.round(100 * face.share) + "% of its time), " +
          face.start.length + " clips"));
      }
      box.appendChild(head);
      var tl = S2D.timeline.draw(face, V, V.span, width);
      tl.svg.addEventListener("click", function (e) { seek(tl.time(e.clientX)); });
      tl.bars.forEach(function (bar, j) {
        var seg = face.segments[j];
        var item = { face: face.id, index: j, start: seg[0], end: seg[1],
                     label: V.classes[seg[2]], confidence: seg[3], bar: bar };
        segs.push(item);
        bar.addEventListener("click", function (e) { e.stopPropagation(); jump(item); });
      });
      box.appendChild(tl.svg);
      holder.appendChild(box);
      return tl;
    });
    segs.sort(function (a, b) { return a.start - b.start || a.face - b.face; });
  }

  /* ---- segments: the current ones, and stepping between them ---- */
  function chosen() {
    var label = document.getElementById("label-filter").value;
    var face = document.getElementById("face-filter").value;
    return segs.filter(function (s) {
      return (!label || s.label === label) && (face === "" || String(s.face) === face);
    });
  }

  function jump(seg) {
    seek(seg.start);
    segs.forEach(function (s) { s.bar.classList.toggle("picked", s === seg); });
    var face = document.getElementById("face-" + seg.face);
    if (face && face.scrollIntoView) face.scrollIntoView({ block: "nearest" });
  }

  function step(direction) {
    var t = now(), list = chosen(), target = null;
    if (direction > 0) {
      for (var i = 0; i < list.length && !target; i++) if (list[i].start > t + EPS) target = list[i];
    } else {
      for (var k = list.length - 1; k >= 0 && !target; k--) {
        if (list[k].start < t - EPS) target = list[k];
      }
    }
    var status = document.getElementById("current-segment");
    if (target) jump(target);
    else status.textContent = "no " + (direction > 0 ? "later" : "earlier") + " segment" +
      (document.getElementById("label-filter").value ? " of that label" : "");
    return target;
  }

  function update() {
    if (!V) return;
    var t = now();
    document.getElementById("clock").textContent = S2D.clock(t) + " / " + S2D.clock(V.span);
    document.getElementById("play").textContent = playing() ? "pause" : "play";
    timelines.forEach(function (tl) { tl.place(t); });
    var here = [];
    segs.forEach(function (s) {
      var on = s.start <= t + 1e-6 && t < s.end;
      s.bar.classList.toggle("active", on);
      if (on) here.push("face " + s.face + ": " + s.label + " (" + s.confidence.toFixed(2) + ")");
    });
    var status = document.getElementById("current-segment");
    status.textContent = here.join(" \u00b7 ");
    drawOverlay(t);
  }

  function options(select, values, first) {
    select.textContent = "";
    select.appendChild(S2D.el("option", { value: "" }, first));
    values.forEach(function (v) { select.appendChild(S2D.el("option", { value: v[0] }, v[1])); });
  }

  /* ---- showing a video ---- */
  function show(data) {
    V = data;
    own = { t: 0, playing: false, last: 0 };
    note.hidden = true;
    document.getElementById("v-title").textContent = V.video;
    var facts = [V.status];
    if (V.duration !== null) facts.push(S2D.clock(V.duration));
    if (V.fps !== null) facts.push(V.fps + " fps");
    facts.push(V.faces.length + (V.faces.length === 1 ? " face" : " faces"));
    document.getElementById("v-facts").textContent = facts.join(" \u00b7 ");
    var reason = document.getElementById("v-reason");
    reason.textContent = V.error ? V.status + ": " + V.error : "";
    reason.hidden = !V.error;
    var counts = {};
    V.faces.forEach(function (f) {
      f.segments.forEach(function (s) { counts[s[2]] = (counts[s[2]] || 0) + 1; });
    });
    options(document.getElementById("label-filter"), V.classes.map(function (name, k) {
      return [name, name + " (" + (counts[k] || 0) + ")"];
    }).filter(function (o, k) { return counts[k]; }), "any label");
    options(document.getElementById("face-filter"), V.faces.map(function (f) {
      return [String(f.id), "face " + f.id];
    }), "any face");
    var legend = document.getElementById("v-legend");
    legend.textContent = "";
    S2D.legend(legend, V.classes, V.colours);
    drawTimelines();
    useVideo = Boolean(V.src);
    if (V.src) {
      video.hidden = false;
      video.setAttribute("src", V.src);
      video.load();
    } else {
      video.removeAttribute("src");
      noVideo("The file of " + V.video + " was not found when the report was written, so " +
              "only its timelines are shown (s2d report --videos DIR names where the videos " +
              "are).");
    }
    layout();
    update();
  }

  function hide() {
    if (!V) return;
    video.pause();
    video.removeAttribute("src");
    video.load(); // lets go of the file
    own.playing = false;
    cancelAnimationFrame(raf);
    V = null;
  }

  document.getElementById("play").addEventListener("click", toggle);
  document.getElementById("next-seg").addEventListener("click", function () { step(1); });
  document.getElementById("prev-seg").addEventListener("click", function () { step(-1); });
  ["label-filter", "face-filter"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", function () { this.blur(); });
  });

  window.addEventListener("keydown", function (e) {
    if (!V || e.altKey || e.ctrlKey || e.metaKey) return;
    var tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (e.key === " ") toggle();
    else if (e.key === "ArrowRight") step(1);
    else if (e.key === "ArrowLeft") step(-1);
    else if (e.key === "Escape") location.hash = "";
    else return;
    e.preventDefault(); // also keeps the <video> and buttons from acting on the key twice
  }, true);
  window.addEventListener("keyup", function (e) {
    if (V && e.key === " " && e.target && e.target.tagName === "BUTTON") e.preventDefault();
  }, true);

  return { show: show, hide: hide, seek: seek, step: step, now: now, boxesAt: boxesAt };
})();
