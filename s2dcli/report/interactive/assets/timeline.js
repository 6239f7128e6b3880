/* s2d report: one face's timeline, drawn as SVG. The class probabilities of its clips (a
 * line per class through the clips' centres, broken where the face was not tracked, with a
 * dashed line at chance, 1/K), and below it a ribbon of its label segments coloured by label,
 * each bar as tall as the segment's mean confidence. A playhead line crosses both. */
"use strict";

S2D.timeline = (function () {
  var LEFT = 34, RIGHT = 8, TOP = 8, PLOT = 110, GAP = 6, RIBBON = 30, AXIS = 18;
  var HEIGHT = TOP + PLOT + GAP + RIBBON + AXIS;

  function niceStep(span) {
    var steps = [0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    for (var i = 0; i < steps.length; i++) if (span / steps[i] <= 10) return steps[i];
    return 7200;
  }

  /* Draw `face` over [0, span] seconds, `width` pixels wide. Returns the SVG, its segment
   * bars (in `face.segments` order), `place(t)` to move the playhead and `time(clientX)`. */
  function draw(face, D, span, width) {
    var svg = S2D.svg;
    var inner = width - LEFT - RIGHT;
    var K = D.known || D.classes.length;
    function x(t) { return LEFT + (t / span) * inner; }
    function y(p) { return TOP + (1 - p) * PLOT; }

    var root = svg("svg", {
      class: "timeline", width: width, height: HEIGHT, viewBox: "0 0 " + width + " " + HEIGHT,
      "data-face": face.id, "data-left": LEFT, "data-inner": inner, "data-span": span,
      role: "img",
      "aria-label": "face " + face.id + ": class probabilities and label segments over time",
    });
    root.appendChild(svg("rect", {
      class: "plot-bg", x: LEFT, y: TOP, width: inner, height: PLOT,
    }));
    [0, 0.5, 1].forEach(function (p) {
      root.appendChild(svg("line", { class: "grid", x1: LEFT, x2: LEFT + inner, y1: y(p), y2: y(p) }));
      root.appendChild(svg("text", { class: "tick", x: LEFT - 4, y: y(p) + 3, "text-anchor": "end" },
                           p.toFixed(1)));
    });
    if (K > 0) {
      root.appendChild(svg("line", {
        class: "chance", x1: LEFT, x2: LEFT + inner, y1: y(1 / K), y2: y(1 / K),
      }));
      root.appendChild(svg("text", { class: "tick chance-label", x: LEFT + inner - 2,
                                     y: y(1 / K) - 3, "text-anchor": "end" },
                           "chance 1/" + K));
    }

    // Runs of adjacent clips: a line is broken where the face was not tracked.
    var n = face.start.length, runs = [], run = [];
    for (var i = 0; i < n; i++) {
      if (run.length && face.own_start[i] > face.own_end[i - 1] + 1e-6) { runs.push(run); run = []; }
      run.push(i);
    }
    if (run.length) runs.push(run);
    var centres = face.start.map(function (s, i) { return (s + face.end[i]) / 2; });
    for (var k = 0; k < K; k++) {
      var group = svg("g", { class: "class-line", "data-class": D.classes[k] });
      runs.forEach(function (r) {
        var points = r.map(function (i) {
          return x(centres[i]).toFixed(1) + "," + y(face.probs[i][k]).toFixed(1);
        });
        if (r.length > 1) {
          group.appendChild(svg("polyline", { points: points.join(" "), stroke: D.colours[k] }));
        }
        if (r.length <= 30) {
          r.forEach(function (i) {
            group.appendChild(svg("circle", {
              cx: x(centres[i]), cy: y(face.probs[i][k]), r: 2.2, fill: D.colours[k],
            }));
          });
        }
      });
      group.appendChild(svg("title", null, D.classes[k]));
      root.appendChild(group);
    }

    var top = TOP + PLOT + GAP;
    root.appendChild(svg("rect", { class: "ribbon-bg", x: LEFT, y: top, width: inner, height: RIBBON }));
    root.appendChild(svg("text", { class: "tick", x: LEFT - 4, y: top + RIBBON / 2 + 3,
                                   "text-anchor": "end" }, "label"));
    var bars = face.segments.map(function (seg, j) {
      var x0 = x(seg[0]), w = Math.max(x(seg[1]) - x0, 1);
      var colour = D.colours[seg[2]], name = D.classes[seg[2]];
      var g = svg("g", {
        class: "seg", "data-face": face.id, "data-index": j, "data-start": seg[0],
        "data-end": seg[1], "data-label": name, "data-confidence": seg[3], tabindex: -1,
      });
      g.appendChild(svg("rect", { class: "seg-area", x: x0, y: top, width: w, height: RIBBON,
                                  fill: colour }));
      var h = Math.max(seg[3], 0) * RIBBON;
      g.appendChild(svg("rect", { class: "seg-bar", x: x0, y: top + RIBBON - h, width: w,
                                  height: h, fill: colour }));
      var text = name + " " + seg[3].toFixed(2);
      if (w > text.length * 6.2 + 6) {
        g.appendChild(svg("text", { class: "seg-text", x: x0 + w / 2, y: top + RIBBON / 2 + 4,
                                    "text-anchor": "middle", fill: S2D.ink(colour) }, text));
      }
      g.appendChild(svg("title", null, name + ", confidence " + seg[3].toFixed(2) + ", " +
                        S2D.clock(seg[0]) + " \u2013 " + S2D.clock(seg[1])));
      root.appendChild(g);
      return g;
    });

    var step = niceStep(span), axisY = top + RIBBON + 13;
    for (var t = 0; t <= span + 1e-9; t += step) {
      root.appendChild(svg("line", { class: "grid", x1: x(t), x2: x(t), y1: top + RIBBON,
                                     y2: top + RIBBON + 3 }));
      root.appendChild(svg("text", { class: "tick", x: x(t), y: axisY, "text-anchor": "middle" },
                           step < 1 ? t.toFixed(2) : String(Math.round(t))));
    }
    root.appendChild(svg("text", { class: "tick", x: LEFT - 12, y: axisY,
                                   "text-anchor": "end" }, "s"));
    var head = svg("line", { class: "playhead", x1: LEFT, x2: LEFT, y1: TOP - 4,
                             y2: top + RIBBON + 2 });
    root.appendChild(head);

    return {
      svg: root,
      bars: bars,
      place: function (seconds) {
        var px = x(Math.min(Math.max(seconds, 0), span)).toFixed(1);
        head.setAttribute("x1", px);
        head.setAttribute("x2", px);
        head.setAttribute("data-t", seconds.toFixed(3));
      },
      time: function (clientX) {
        var box = root.getBoundingClientRect();
        var px = (clientX - box.left) * (width / box.width);
        return Math.min(Math.max((px - LEFT) / inner, 0), 1) * span;
      },
    };
  }

  return { draw: draw, LEFT: LEFT, RIGHT: RIGHT };
})();
