/* s2d report: helpers shared by the overview and the video view.
 *
 * Every string that comes from the data goes into the page through textContent or
 * setAttribute, never through innerHTML: a video named "<script>.mp4" stays text. */
"use strict";

var S2D = (function () {
  var SVG = "http://www.w3.org/2000/svg";

  var cached = null;

  /* The overview's data (the page's JSON, parsed once). */
  function data() {
    if (cached === null) cached = JSON.parse(document.getElementById("report-data").textContent);
    return cached;
  }

  /* An HTML element with attributes (null / undefined ones skipped) and text. */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value !== undefined && value !== null) node.setAttribute(key, String(value));
    });
  }

  function fixed(value, digits) {
    return value === null || value === undefined ? "" : Number(value).toFixed(digits);
  }

  /* 83.4 -> "1:23.4"; 7.25 -> "7.25 s" */
  function clock(seconds) {
    if (!isFinite(seconds)) return "";
    if (seconds < 60) return seconds.toFixed(2) + " s";
    var m = Math.floor(seconds / 60);
    var s = seconds - 60 * m;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  }

  /* Black or white text, whichever reads better on the colour "#rrggbb". */
  function ink(colour) {
    var n = parseInt(colour.slice(1), 16);
    var r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#111" : "#fff";
  }

  /* A colour chip and a class name per class, into `container`. */
  function legend(container, classes, colours) {
    classes.forEach(function (name, i) {
      var item = el("span", { class: "legend-item" });
      var chip = el("span", { class: "chip" });
      chip.style.background = colours[i]; // CSSOM, not a style attribute: allowed by the CSP
      item.appendChild(chip);
      item.appendChild(document.createTextNode(name));
      container.appendChild(item);
    });
  }

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  return {
    data: data, el: el, svg: svg, fixed: fixed, clock: clock, ink: ink, legend: legend,
    clamp: clamp,
  };
})();
