"""The review page's inline stylesheet and script (no file, font or library is fetched).

The script reads everything it needs from the page's JSON block (`#review-data`: the columns,
the rows of labels.csv as text, the class names, a storage key), never from text on the page,
and writes to the page only through `textContent` and class names. It keeps the choices in
`localStorage` (when the browser allows it for files) so a reload keeps them, and "Save
labels.csv" downloads the rows with the chosen labels; skipped clips are left out.
"""

from __future__ import annotations

CSS = """
:root { --bar: 7.5rem; }
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #f6f6f4; }
header { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid #ccc;
  padding: 0.6rem 1.2rem; display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem;
  align-items: center; }
header h1 { font-size: 1.1rem; margin: 0; }
header p { margin: 0; font-size: 0.85rem; color: #555; }
button { font: inherit; padding: 0.35rem 0.9rem; border: 1px solid #1f6feb; border-radius: 4px;
  background: #1f6feb; color: #fff; cursor: pointer; }
main { display: grid; gap: 0.8rem; padding: 1rem 1.2rem;
  grid-template-columns: repeat(auto-fill, minmax(19rem, 1fr)); }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem;
  display: flex; flex-direction: column; gap: 0.3rem; }
.card.changed { border-color: #d97706; box-shadow: 0 0 0 1px #d97706; }
.card.skipped { opacity: 0.55; }
.strip { width: 100%; height: auto; image-rendering: auto; background: #000;
  border-radius: 3px; }
.noframes { background: #eee; color: #777; text-align: center; padding: 2rem 0;
  font-size: 0.8rem; border-radius: 3px; }
.video { font-size: 0.85rem; margin: 0; overflow-wrap: anywhere; }
.meta { font-size: 0.78rem; margin: 0; color: #555; }
fieldset { border: 0; margin: 0; padding: 0; }
legend { font-size: 0.72rem; color: #777; padding: 0; }
.bar { display: grid; grid-template-columns: 1.1rem 5.2rem var(--bar) 3rem; align-items: center;
  font-size: 0.78rem; cursor: pointer; border-radius: 3px; }
.bar:hover { background: #f0f4ff; }
.bar.predicted .name { font-weight: 600; }
.bar input:checked ~ .name { text-decoration: underline; }
.track { height: 0.6rem; background: #eee; border-radius: 2px; overflow: hidden; }
.fill { display: block; height: 100%; }
.p { text-align: right; font-variant-numeric: tabular-nums; color: #555; }
.bar.skip { grid-template-columns: 1.1rem auto; color: #777; }
footer { padding: 0 1.2rem 1.5rem; font-size: 0.85rem; }
pre { background: #fff; border: 1px solid #ddd; padding: 0.6rem; overflow-x: auto; }
""".strip()

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var storageKey = "s2d-review:" + data.key;
  var status = document.getElementById("status");

  function choice(n) {
    var input = document.querySelector('input[name="c' + n + '"]:checked');
    return input ? input.value : String(data.predicted[n - 1]);
  }

  function quote(field) {
    return /[",\r\n]/.test(field) ? '"' + field.replace(/"/g, '""') + '"' : field;
  }

  function csvText() {
    var lines = [data.columns.map(quote).join(",")];
    data.rows.forEach(function (row, i) {
      var value = choice(i + 1);
      if (value === "") { return; }
      var out = row.slice();
      out[data.label_column] = data.classes[Number(value)];
      lines.push(out.map(quote).join(","));
    });
    return lines.join("\n") + "\n";
  }

  function update() {
    var changed = 0, skipped = 0, saved = {};
    data.rows.forEach(function (row, i) {
      var n = i + 1, value = choice(n), card = document.getElementById("card-" + n);
      var isSkip = value === "", isChange = !isSkip && value !== String(data.predicted[i]);
      changed += isChange ? 1 : 0;
      skipped += isSkip ? 1 : 0;
      card.classList.toggle("changed", isChange);
      card.classList.toggle("skipped", isSkip);
      if (value !== String(data.predicted[i])) { saved[n] = value; }
    });
    status.textContent = data.rows.length + " clips: " + changed + " relabelled, " +
      skipped + " skipped, " + (data.rows.length - changed - skipped) + " as predicted";
    try { window.localStorage.setItem(storageKey, JSON.stringify(saved)); } catch (e) { }
  }

  function restore() {
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(storageKey) || "null"); } catch (e) { }
    if (!saved) { return; }
    Object.keys(saved).forEach(function (n) {
      var inputs = document.querySelectorAll('input[name="c' + Number(n) + '"]');
      inputs.forEach(function (input) { input.checked = input.value === String(saved[n]); });
    });
  }

  function save() {
    var blob = new Blob([csvText()], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "labels.csv";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 2000);
  }

  window.s2dReview = { csvText: csvText, choice: choice };
  restore();
  update();
  document.addEventListener("change", function (event) {
    if (event.target && event.target.type === "radio") { update(); }
  });
  document.getElementById("save").addEventListener("click", save);
})();
""".strip()

__all__ = ["CSS", "SCRIPT"]
