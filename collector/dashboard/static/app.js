// Charts of the dashboards. Every chart is a <figure class="chart"> whose
// data attributes say what to draw; the numbers come from the JSON API
// (data-src), the same the page's tables show, so without JavaScript
// nothing but the drawing is missing.
//
//   data-lines='[{"field": "total", "label": "Total"}]'  one line per field of json.weeks
//   data-groups="groups" data-field="total" [data-name="name"]
//                                           one line per group, its weeks' field
//   data-zero-gaps="true"                   no point where a group's value is 0
//   data-mark="2026-W40" data-before="2026-W36" data-after="2026-W43"
//                                           a before/after comparison to shade
//
// Once drawn, the figure has data-points (weeks on the x axis) and
// data-series (lines), which the browser tests read.
(function () {
  "use strict";

  var palette = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#4b5563", "#b45309",
    "#1d4ed8", "#047857"];

  // weekStart is the Unix time (seconds) of the Monday that starts an ISO
  // week "2026-W07": January 4th is always in week 1.
  function weekStart(s) {
    var year = +s.slice(0, 4), week = +s.slice(6);
    var jan4 = Date.UTC(year, 0, 4);
    var offset = (new Date(jan4).getUTCDay() + 6) % 7;
    return (jan4 - offset * 86400000 + (week - 1) * 7 * 86400000) / 1000;
  }

  // isoWeek names the ISO week of a time: the week's Thursday is in its
  // ISO year, and its day of that year gives the week.
  function isoWeek(t) {
    var d = new Date(t * 1000);
    var thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - (d.getUTCDay() + 6) % 7 + 3);
    var year = new Date(thursday).getUTCFullYear();
    var n = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86400000));
    return year + "-W" + (n < 10 ? "0" : "") + n;
  }

  function fmt(v) {
    if (v == null) return "–";
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
    if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
    if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
    return Math.round(v * 100) / 100 + "";
  }

  // seriesOf turns an API answer into uPlot's columns and series.
  function seriesOf(el, json) {
    var d = el.dataset, data = [], series = [{ label: "Week", value: function (u, t) { return t == null ? "" : isoWeek(t); } }];
    if (d.groups) {
      var groups = json[d.groups] || [], name = d.name || "name", field = d.field;
      var weeks = groups.length ? groups[0].weeks : [];
      data.push(weeks.map(function (w) { return weekStart(w.week); }));
      groups.forEach(function (g, i) {
        data.push(g.weeks.map(function (w) {
          // A group absent that week (a version not yet out) has no point.
          if (field !== "instances" && w.instances === 0 && !w.failed) return null;
          if (d.zeroGaps && !w[field]) return null;
          return w[field];
        }));
        series.push({ label: g[name] === "" ? "(none)" : g[name], stroke: palette[i % palette.length], width: 1.5, value: function (u, v) { return fmt(v); } });
      });
    } else {
      var rows = json.weeks || [];
      data.push(rows.map(function (w) { return weekStart(w.week); }));
      JSON.parse(d.lines).forEach(function (l, i) {
        data.push(rows.map(function (w) { return w[l.field]; }));
        series.push({ label: l.label, stroke: palette[i % palette.length], width: 2, fill: i === 0 && d.groups == null ? "rgba(37,99,235,0.07)" : undefined,
          points: { size: 4 }, value: function (u, v) { return fmt(v); } });
      });
    }
    return { data: data, series: series };
  }

  // shade marks a before/after comparison: the two periods and the week
  // between them.
  function shade(el) {
    var d = el.dataset;
    if (!d.mark) return null;
    return function (u) {
      var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
      var at = u.valToPos(weekStart(d.mark), "x", true);
      var from = u.valToPos(weekStart(d.before), "x", true);
      var to = u.valToPos(weekStart(d.after) + 7 * 86400, "x", true); // the end of the last week after
      ctx.save();
      ctx.fillStyle = "rgba(100,116,139,0.10)";
      ctx.fillRect(from, top, at - from, h);
      ctx.fillStyle = "rgba(5,150,105,0.10)";
      ctx.fillRect(at, top, to - at, h);
      ctx.strokeStyle = "#0f172a";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(at, top);
      ctx.lineTo(at, top + h);
      ctx.stroke();
      ctx.restore();
    };
  }

  // The answers a page carries already (<script id="chart-data">, by API
  // URL) are not asked for again, nor is one URL asked for twice.
  var answers = {};
  (function () {
    var inline = document.getElementById("chart-data");
    if (!inline) return;
    var data = JSON.parse(inline.textContent);
    Object.keys(data).forEach(function (url) { answers[url] = Promise.resolve(data[url]); });
  })();

  function getJSON(url) {
    if (!answers[url]) {
      answers[url] = fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
    }
    return answers[url];
  }

  function draw(el) {
    var plot = el.querySelector(".plot");
    getJSON(el.dataset.src)
      .then(function (json) {
        var s = seriesOf(el, json);
        if (!s.data[0].length) {
          plot.textContent = "No data yet.";
          el.dataset.points = "0";
          return;
        }
        var draws = [];
        var sh = shade(el);
        if (sh) draws.push(sh);
        var opts = {
          width: Math.max(plot.clientWidth, 280),
          height: el.classList.contains("wide") ? 300 : 240,
          series: s.series,
          scales: { x: { time: true } },
          // Weeks start at 00:00 UTC on Monday: dates are read in UTC, so
          // that west of Greenwich a week is not labelled with its Sunday.
          tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
          axes: [
            { stroke: "#475569", grid: { stroke: "#e2e8f0" }, ticks: { stroke: "#cbd5e1" } },
            { stroke: "#475569", grid: { stroke: "#e2e8f0" }, ticks: { stroke: "#cbd5e1" }, size: 56, values: function (u, vs) { return vs.map(fmt); } }
          ],
          legend: { live: true },
          cursor: { points: { size: 6 } },
          hooks: { drawClear: draws }
        };
        var u = new uPlot(opts, s.data, plot);
        el.dataset.points = String(s.data[0].length);
        el.dataset.series = String(s.data.length - 1);
        charts.push({ el: el, plot: plot, u: u });
      })
      .catch(function (err) {
        plot.textContent = "The chart could not be drawn: " + err.message;
        el.dataset.error = err.message;
      });
  }

  var charts = [];
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.u.setSize({ width: Math.max(c.plot.clientWidth, 280), height: c.u.height }); });
  });

  function start() {
    if (typeof uPlot !== "undefined") {
      Array.prototype.forEach.call(document.querySelectorAll("figure.chart[data-src]"), draw);
    }
    // Filters apply as soon as a choice changes; the button is there for
    // keyboards and pages without JavaScript.
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosubmit] select, #event"), function (s) {
      s.addEventListener("change", function () {
        if (s.id === "event") { var p = document.getElementById("property"); if (p) p.value = ""; }
        s.form.submit();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
