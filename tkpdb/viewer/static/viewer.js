// tkpdb viewer: the plots of each page, drawn with Plotly from the page's own JSON
// (the same document /api/... returns, embedded in <script id="page-data">).
"use strict";

const tkpdbViewer = (() => {
  const CONFIG = { displaylogo: false, responsive: true };
  const PALETTE = ["#1f5fbf", "#d1495b", "#2a9d8f", "#e9a03b", "#7b4fbf", "#5c6b73"];
  const KINDS = {
    0: { name: "blind", symbol: "circle" },
    1: { name: "forced fit (null detection)", symbol: "square-open" },
    2: { name: "monitoring fit", symbol: "diamond" },
  };

  function pageData() {
    return JSON.parse(document.getElementById("page-data").textContent);
  }

  function axis(title, extra) {
    return Object.assign({ title: { text: title }, zeroline: false }, extra || {});
  }

  function layout(xtitle, ytitle, extra) {
    return Object.assign({
      margin: { l: 60, r: 20, t: 20, b: 50 }, hovermode: "closest", showlegend: true,
      legend: { orientation: "h", y: -0.18 }, xaxis: axis(xtitle), yaxis: axis(ytitle),
    }, extra || {});
  }

  // A histogram computed by the server (viewer_bins2d: a regular grid of non-empty cells)
  // as a heatmap; the cell of each z value is kept in customdata for clicks.
  function binsTrace(bins, label) {
    const dx = Math.max(...bins.map(b => b.x_hi - b.x_lo)) || 1;
    const dy = Math.max(...bins.map(b => b.y_hi - b.y_lo)) || 1;
    const x0 = Math.min(...bins.map(b => b.x_lo)), y0 = Math.min(...bins.map(b => b.y_lo));
    const nx = Math.max(...bins.map(b => Math.round((b.x_lo - x0) / dx))) + 1;
    const ny = Math.max(...bins.map(b => Math.round((b.y_lo - y0) / dy))) + 1;
    const z = Array.from({ length: ny }, () => new Array(nx).fill(null));
    const cells = Array.from({ length: ny }, () => new Array(nx).fill(null));
    for (const b of bins) {
      const i = Math.round((b.x_lo - x0) / dx), j = Math.round((b.y_lo - y0) / dy);
      z[j][i] = b.n;
      cells[j][i] = [b.x_lo, b.x_hi, b.y_lo, b.y_hi];
    }
    return {
      type: "heatmap", name: label, z: z, customdata: cells,
      x: Array.from({ length: nx }, (_, i) => x0 + (i + 0.5) * dx),
      y: Array.from({ length: ny }, (_, j) => y0 + (j + 0.5) * dy),
      colorscale: "Viridis", hoverongaps: false, colorbar: { title: { text: label } },
      hovertemplate: "%{z} " + label + "<extra></extra>",
    };
  }

  // Small circle of `radius` deg around (ra, decl) as a closed line (for the fields).
  function circle(ra, decl, radius, name) {
    const xs = [], ys = [];
    for (let k = 0; k <= 120; k++) {
      const t = (2 * Math.PI * k) / 120;
      ys.push(decl + radius * Math.cos(t));
      xs.push(ra + (radius * Math.sin(t)) / Math.cos((decl * Math.PI) / 180));
    }
    return { type: "scatter", mode: "lines", x: xs, y: ys, name: name, hoverinfo: "name",
             line: { color: "#888", dash: "dot", width: 1 }, showlegend: false };
  }

  function go(url) { window.location.href = url; }

  // Sky plot of lightcurves or measurements: points (clickable) or the server's bins.
  function sky(el, plot, fields, link, label) {
    const traces = fields.map(f => circle(f.centre_ra, f.centre_decl, f.xtr_radius, f.name));
    if (plot.mode === "bins") {
      traces.unshift(binsTrace(plot.bins, label));
    } else {
      const pts = plot.points;
      traces.unshift({
        type: "scatter", mode: "markers", name: label,
        x: pts.map(p => p.ra), y: pts.map(p => p.decl),
        customdata: pts.map(p => (p.runcat === null || p.runcat === undefined ? p.id : p.runcat)),
        text: pts.map(p => (p.kind ? p.kind + " " : "") + (p.f_int === null ? "" : p.f_int.toPrecision(3) + " Jy")),
        marker: { size: 5, color: pts.map(p => (p.f_int > 0 ? Math.log10(p.f_int) : null)),
                  colorscale: "Viridis", colorbar: { title: { text: "log₁₀ f_int (Jy)" } } },
        hovertemplate: "RA %{x:.4f}, Dec %{y:.4f}<br>%{text}<extra>%{customdata}</extra>",
      });
    }
    Plotly.newPlot(el, traces, layout("RA (deg)", "Dec (deg)", {
      xaxis: axis("RA (deg)", { autorange: "reversed" }), yaxis: axis("Dec (deg)", { scaleanchor: "x",
      scaleratio: 1 / Math.cos(((fields[0] ? fields[0].centre_decl : 0) * Math.PI) / 180) }),
      showlegend: false,
    }), CONFIG);
    if (plot.mode === "points") {
      el.on("plotly_click", ev => {
        const p = ev.points[0];
        if (p.curveNumber === 0 && link && p.customdata !== null) go(link(p.customdata));
      });
    }
  }

  // The dataset statistics count the whole dataset: fetched after the page is shown.
  function statistics(el) {
    fetch(el.dataset.src).then(r => {
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      return r.json();
    }).then(stats => {
      for (const cell of document.querySelectorAll("[data-stat]")) {
        const value = stats[cell.dataset.stat];
        cell.textContent = value === null ? "\u2013"
          : Number.isInteger(value) ? String(value) : Number(value).toPrecision(4);
        cell.classList.add("loaded");
      }
    }).catch(err => { el.insertAdjacentText("beforeend", " statistics unavailable: " + err.message); });
  }

  function datasetPage(data, root) {
    statistics(document.getElementById("statistics"));
    const fields = data.skyregions.map(f => Object.assign({ name: "field " + f.id }, f));
    sky(document.getElementById("sky-plot"), data.sky, fields,
        runcat => root + "/lightcurves/" + runcat, "lightcurves");
  }

  function candidatesPage(data, root) {
    const el = document.getElementById("eta-v-plot");
    const plot = data.plot, f = data.filters;
    const shapes = [];
    const line = { color: "#d1495b", dash: "dash", width: 1 };
    if (f.eta_min > 0) shapes.push({ type: "line", xref: "x", yref: "paper", x0: Math.log10(f.eta_min),
                                     x1: Math.log10(f.eta_min), y0: 0, y1: 1, line: line });
    if (f.v_min > 0) shapes.push({ type: "line", xref: "paper", yref: "y", y0: Math.log10(f.v_min),
                                   y1: Math.log10(f.v_min), x0: 0, x1: 1, line: line });
    let traces;
    if (plot.mode === "bins") {
      traces = [binsTrace(plot.bins, "lightcurves")];
    } else {
      traces = [{
        type: "scatter", mode: "markers", name: "lightcurves",
        x: plot.points.map(p => Math.log10(p.eta_int)), y: plot.points.map(p => Math.log10(p.v_int)),
        customdata: plot.points.map(p => p.runcat),
        marker: { size: 6, color: "#1f5fbf", opacity: 0.7 },
        hovertemplate: "lightcurve %{customdata}<br>η %{x:.3f} (log₁₀), V %{y:.3f} (log₁₀)<extra></extra>",
      }];
    }
    Plotly.newPlot(el, traces, layout("log₁₀ η", "log₁₀ V", { shapes: shapes, showlegend: false }),
                   CONFIG);
    el.on("plotly_click", ev => {
      const p = ev.points[0];
      if (plot.mode === "points") {
        go(root + "/lightcurves/" + p.customdata);
      } else if (p.customdata) {   // zoom into the cell: its eta and V ranges become filters
        const [x0, x1, y0, y1] = p.customdata;
        const q = new URLSearchParams(window.location.search);
        q.set("eta_min", (10 ** x0).toPrecision(6)); q.set("eta_max", (10 ** x1).toPrecision(6));
        q.set("v_min", (10 ** y0).toPrecision(6)); q.set("v_max", (10 ** y1).toPrecision(6));
        q.set("page", "1");
        go(window.location.pathname + "?" + q.toString());
      }
    });
  }

  function lightcurvePage(data, root) {
    const el = document.getElementById("lightcurve-plot");
    const bands = new Map(data.bands.map(b => [b.id, b]));
    const keys = [...new Set(data.measurements.map(p => p.band)
                            .concat(data.upper_limits.map(u => u.band)))];
    keys.sort((a, b) => (bands.get(a) || {}).freq_central - (bands.get(b) || {}).freq_central);
    const traces = [];
    keys.forEach((band, k) => {
      const colour = PALETTE[k % PALETTE.length];
      const mhz = bands.has(band) ? (bands.get(band).freq_central / 1e6).toPrecision(4) + " MHz"
                                  : "band " + band;
      for (const kind of [0, 1, 2]) {
        const pts = data.measurements.filter(p => p.band === band && p.extract_type === kind &&
                                                  p.f_int !== null);
        if (!pts.length) continue;
        traces.push({
          type: "scatter", mode: "markers", name: mhz + " " + KINDS[kind].name,
          x: pts.map(p => p.taustart_ts), y: pts.map(p => p.f_int),
          error_y: { type: "data", array: pts.map(p => p.f_int_err), visible: true, color: colour },
          customdata: pts.map(p => p.image),
          marker: { symbol: KINDS[kind].symbol, size: 8, color: colour },
          hovertemplate: "%{x}<br>%{y:.4g} Jy<br>image %{customdata}<extra>" + mhz + "</extra>",
        });
      }
      const limits = data.upper_limits.filter(u => u.band === band && u.limit !== null);
      if (limits.length) {
        traces.push({
          type: "scatter", mode: "markers", name: mhz + " upper limit",
          x: limits.map(u => u.taustart_ts), y: limits.map(u => u.limit),
          customdata: limits.map(u => u.image),
          marker: { symbol: "triangle-down-open", size: 9, color: colour },
          hovertemplate: "%{x}<br>< %{y:.4g} Jy<br>image %{customdata}<extra>" + mhz + "</extra>",
        });
      }
    });
    Plotly.newPlot(el, traces, layout("time (UTC)", "f_int (Jy)"), CONFIG);
    el.on("plotly_click", ev => go(root + "/images/" + ev.points[0].customdata));
    const heritage = document.getElementById("heritage");
    if (heritage) {
      fetch(heritage.dataset.src).then(r => {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.text();
      }).then(svg => {
        heritage.innerHTML = svg.slice(svg.indexOf("<svg"));
      }).catch(err => { heritage.textContent = "heritage graph unavailable: " + err.message; });
    }
  }

  function imagePage(data, root) {
    const i = data.image;
    sky(document.getElementById("sky-plot"), data.sky,
        [{ centre_ra: i.centre_ra, centre_decl: i.centre_decl, xtr_radius: i.xtr_radius,
           name: "extraction region" }],
        runcat => root + "/lightcurves/" + runcat, "measurements");
  }

  return { pageData, datasetPage, candidatesPage, lightcurvePage, imagePage };
})();
