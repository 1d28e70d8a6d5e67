/* Replay page of a training run: four SVG views redrawn for the recorded step on the slider. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("live-data").textContent);
  const S = D.snapshots;
  const NS = "http://www.w3.org/2000/svg";
  const NEG = "#d7301f", POS = "#2166ac";
  const CLASS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];
  const W = 600, H = 300, M = { l: 62, r: 52, t: 12, b: 34 };

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function fmt(v) {
    if (v === null || v === undefined) return "—";
    if (v === 0) return "0";
    const a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(4).replace(/\.?0+$/, "");
  }
  function panel(title, legend) {
    const sec = document.createElement("section");
    const h = document.createElement("h2");
    h.textContent = title;
    sec.appendChild(h);
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title }, sec);
    const leg = document.createElement("div");
    leg.className = "legend";
    leg.innerHTML = legend;
    sec.appendChild(leg);
    document.getElementById("views").appendChild(sec);
    return svg;
  }
  function swatch(color, label, cls) {
    return '<span class="key"><i class="' + (cls || "box") + '" style="background:' + color + '"></i>' + label + "</span>";
  }
  function logTicks(lo, hi) {
    const out = [];
    for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) out.push(Math.pow(10, k));
    return out;
  }
  function scale(lo, hi, a, b, log) {
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
    const span = hi - lo || 1;
    return function (v) { return a + ((log ? Math.log10(v) : v) - lo) / span * (b - a); };
  }

  // ---------------------------------------------------------------- loss curve
  const curve = D.curve;
  const lossSvg = panel("Loss over steps, and batch accuracy",
    swatch("#333", "loss of the batch", "line") + swatch("#2a9d8f", "accuracy of the batch (right axis)", "line") +
    swatch("#e76f51", "step shown", "line"));
  const steps = curve.map(function (c) { return c[0]; });
  const losses = curve.map(function (c) { return c[1]; });
  const lossLog = losses.every(function (v) { return v > 0; }) && Math.min.apply(null, losses) < Math.max.apply(null, losses);
  let lLo = Math.min.apply(null, losses), lHi = Math.max.apply(null, losses);
  if (lossLog) { lLo /= 1.3; lHi *= 1.3; } else { const p = 0.05 * (lHi - lLo || 1); lLo -= p; lHi += p; }
  const sx = scale(0, Math.max(1, steps[steps.length - 1]), M.l, W - M.r, false);
  const sy = scale(lLo, lHi, H - M.b, M.t, lossLog);
  const sa = scale(0, 1.05, H - M.b, M.t, false);
  el("rect", { x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, class: "frame" }, lossSvg);
  const yt = lossLog ? logTicks(lLo, lHi).filter(function (v) { return v >= lLo && v <= lHi; }) : [lLo, (lLo + lHi) / 2, lHi];
  yt.forEach(function (v) {
    el("line", { x1: M.l - 4, x2: W - M.r, y1: sy(v), y2: sy(v), class: "grid" }, lossSvg);
    text(lossSvg, M.l - 6, sy(v) + 4, fmt(v), { "text-anchor": "end", class: "tick" });
  });
  [0, 0.5, 1].forEach(function (v) { text(lossSvg, W - M.r + 6, sa(v) + 4, String(v), { class: "tick acc" }); });
  const lastStep = Math.max(1, steps[steps.length - 1]);
  // whole steps only, 1, 2 or 5 times a power of ten apart, at most six of them
  const unit = Math.pow(10, Math.max(0, Math.floor(Math.log10(lastStep / 4))));
  const tstep = [1, 2, 5, 10].map(function (m) { return m * unit; }).filter(function (t) { return lastStep / t <= 6; })[0] || 10 * unit;
  for (let i = 0; i * tstep <= lastStep; i++)
    text(lossSvg, sx(i * tstep), H - M.b + 16, String(i * tstep), { "text-anchor": "middle", class: "tick" });
  text(lossSvg, (M.l + W - M.r) / 2, H - 3, "training step", { "text-anchor": "middle", class: "axis" });
  function points(list, f) { return list.map(function (c) { return sx(c[0]).toFixed(1) + "," + f(c).toFixed(1); }).join(" "); }
  el("polyline", { points: points(curve, function (c) { return sy(c[1]); }), class: "ghost" }, lossSvg);
  const hasAcc = curve.some(function (c) { return c[2] >= 0; });
  const accGhost = hasAcc ? el("polyline", { points: points(curve.filter(function (c) { return c[2] >= 0; }), function (c) { return sa(c[2]); }), class: "ghost acc" }, lossSvg) : null;
  const lossLine = el("polyline", { class: "loss" }, lossSvg);
  const accLine = el("polyline", { class: "accline" }, lossSvg);
  const marker = el("line", { y1: M.t, y2: H - M.b, class: "marker" }, lossSvg);
  void accGhost;

  // ---------------------------------------------------------------- decision boundary
  const bSvg = panel(D.kind === "class" ? "Decision boundary over the data (predicted class)" : "Decision boundary over the data",
    D.kind === "none" ? "" : D.kind === "class" ? CLASS.slice(0, 4).map(function (c, i) { return swatch(c, "class " + i); }).join("") + " background: predicted class, dots: samples"
      : swatch(POS, "output &gt; 0 (label +1)") + swatch(NEG, "output &lt; 0 (label −1)") + " background: the model's output over the plane (stronger = larger |output|), dots: samples by label");
  let cells = [];
  if (D.kind !== "none" && D.box.length === 4) {
    const g = D.grid, box = D.box;
    const bw = H - M.t - M.b + 20, x0 = (W - bw) / 2, y0 = 4;
    const px = scale(box[0], box[1], x0, x0 + bw, false), py = scale(box[2], box[3], y0 + bw, y0, false);
    const cw = bw / g;
    for (let j = 0; j < g; j++) for (let i = 0; i < g; i++)
      cells.push(el("rect", { x: (x0 + i * cw).toFixed(2), y: (y0 + j * cw).toFixed(2), width: (cw + 0.3).toFixed(2), height: (cw + 0.3).toFixed(2) }, bSvg));
    el("rect", { x: x0, y: y0, width: bw, height: bw, class: "frame" }, bSvg);
    D.points.forEach(function (p, k) {
      const t = D.labels.length ? D.labels[k] : 1;
      const c = D.kind === "class" ? CLASS[((t | 0) % CLASS.length + CLASS.length) % CLASS.length] : (t > 0 ? POS : NEG);
      el("circle", { cx: px(p[0]).toFixed(1), cy: py(p[1]).toFixed(1), r: 3.2, fill: c, class: "dot" }, bSvg);
    });
  } else {
    text(bSvg, W / 2, H / 2, "no decision boundary: the inputs are not 2-D", { "text-anchor": "middle", class: "note" });
  }
  function scoreColor(code) {
    if (code === 0) return "#f7f7f7";
    const a = Math.abs(code) / 9;
    const base = code > 0 ? [33, 102, 172] : [215, 48, 31];
    const mix = base.map(function (c) { return Math.round(247 + (c - 247) * a * 0.6); });
    return "rgb(" + mix.join(",") + ")";
  }

  // ---------------------------------------------------------------- network diagram
  const nSvg = panel("Network: each weight coloured by its gradient ∂L/∂w",
    swatch(POS, "∂L/∂w &gt; 0", "line") + swatch(NEG, "∂L/∂w &lt; 0", "line") +
    " strong: the largest |∂L/∂w| at this step; faint: 10<sup>−" + D.decades + "</sup> of it or less (log scale)");
  let edges = [];
  if (D.diagram && D.sizes.length > 1) {
    const sizes = D.sizes, L = sizes.length;
    const nx = scale(0, L - 1, M.l, W - M.r, false);
    const pos = sizes.map(function (n, li) {
      const out = [];
      for (let j = 0; j < n; j++) out.push([nx(li), M.t + (j + 0.5) / n * (H - M.t - M.b)]);
      return out;
    });
    for (let li = 0; li + 1 < L; li++)
      for (let j = 0; j < sizes[li + 1]; j++)
        for (let i = 0; i < sizes[li]; i++) {
          const a = pos[li][i], b = pos[li + 1][j];
          edges.push(el("line", { x1: a[0].toFixed(1), y1: a[1].toFixed(1), x2: b[0].toFixed(1), y2: b[1].toFixed(1), class: "edge" }, nSvg));
        }
    pos.forEach(function (col, li) {
      col.forEach(function (p) { el("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: sizes[li] > 40 ? 1.6 : 3.5, class: "neuron" }, nSvg); });
      text(nSvg, nx(li), H - 10, li === 0 ? "inputs (" + sizes[0] + ")" : D.groups[li - 1] + " (" + sizes[li] + ")", { "text-anchor": "middle", class: "tick" });
    });
  } else {
    text(nSvg, W / 2, H / 2, "no network diagram (drawn for MLPs up to 4000 weights)", { "text-anchor": "middle", class: "note" });
  }

  // ---------------------------------------------------------------- per-layer sizes
  const gSvg = panel("Per layer: size of the weights and of their gradients (log scale)",
    swatch("#999", "mean |w| (weights and biases)") + swatch("#e76f51", "mean |∂L/∂w|") + " one pair of bars per layer, inputs on the left");
  const all = [];
  S.forEach(function (s) { s.layers.forEach(function (p) { if (p[0] > 0) all.push(p[0]); if (p[1] > 0) all.push(p[1]); }); });
  const gLo = all.length ? Math.min.apply(null, all) / 2 : 1e-3, gHi = all.length ? Math.max.apply(null, all) * 2 : 1;
  const gy = scale(gLo, gHi, H - M.b, M.t, true);
  el("rect", { x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, class: "frame" }, gSvg);
  let tk = logTicks(gLo, gHi).filter(function (v) { return v >= gLo && v <= gHi; });
  if (tk.length > 7) tk = tk.filter(function (v, i) { return i % 2 === 0; });
  tk.forEach(function (v) {
    el("line", { x1: M.l - 4, x2: W - M.r, y1: gy(v), y2: gy(v), class: "grid" }, gSvg);
    text(gSvg, M.l - 6, gy(v) + 4, "1e" + Math.round(Math.log10(v)), { "text-anchor": "end", class: "tick" });
  });
  const nL = D.groups.length, slot = (W - M.l - M.r) / Math.max(1, nL), bw2 = Math.min(36, slot * 0.32);
  const bars = D.groups.map(function (name, i) {
    const cx = M.l + slot * (i + 0.5);
    text(gSvg, cx, H - M.b + 16, name, { "text-anchor": "middle", class: "tick" });
    return [el("rect", { x: cx - bw2 - 1, width: bw2, fill: "#999" }, gSvg), el("rect", { x: cx + 1, width: bw2, fill: "#e76f51" }, gSvg),
      text(gSvg, cx + 1 + bw2 / 2, 0, "", { "text-anchor": "middle", class: "val" })];
  });

  // ---------------------------------------------------------------- one recorded step
  const slider = document.getElementById("slider"), play = document.getElementById("play"), where = document.getElementById("where");
  slider.max = String(S.length - 1);
  function show(k) {
    k = Math.max(0, Math.min(S.length - 1, k | 0));
    slider.value = String(k);
    const s = S[k];
    const upto = curve.filter(function (c) { return c[0] <= s.step; });
    lossLine.setAttribute("points", points(upto, function (c) { return sy(c[1]); }));
    accLine.setAttribute("points", hasAcc ? points(upto.filter(function (c) { return c[2] >= 0; }), function (c) { return sa(c[2]); }) : "");
    marker.setAttribute("x1", sx(s.step)); marker.setAttribute("x2", sx(s.step));
    if (s.boundary) s.boundary.forEach(function (code, i) {
      cells[i].setAttribute("fill", D.kind === "class" ? CLASS[code % CLASS.length] : scoreColor(code));
      if (D.kind === "class") cells[i].setAttribute("fill-opacity", "0.4");
    });
    if (s.edges) s.edges.forEach(function (lv, i) {
      edges[i].setAttribute("stroke", lv > 0 ? POS : NEG);
      edges[i].setAttribute("stroke-opacity", (0.9 * Math.abs(lv) / D.levels).toFixed(2));
    });
    s.layers.forEach(function (p, i) {
      const b = bars[i];
      [0, 1].forEach(function (q) {
        const v = p[q] > 0 ? p[q] : gLo, y = gy(v);
        b[q].setAttribute("y", y.toFixed(1)); b[q].setAttribute("height", Math.max(0, H - M.b - y).toFixed(1));
      });
      b[2].setAttribute("y", (gy(p[1] > 0 ? p[1] : gLo) - 4).toFixed(1));
      b[2].textContent = fmt(p[1]);
    });
    // one counter, in training steps taken (the slider moves between the recorded ones)
    where.textContent = "after training step " + (s.step + 1) + " of " + (lastStep + 1) +
      " (epoch " + (s.epoch + 1) + " of " + (S[S.length - 1].epoch + 1) + ") · loss " + fmt(s.loss) +
      (s.accuracy === null ? "" : " · batch accuracy " + Math.round(100 * s.accuracy) + "%");
  }
  let timer = null;
  function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = "▶ play"; }
  function start() {
    if (+slider.value >= S.length - 1) show(0);
    play.textContent = "❚❚ pause";
    timer = setInterval(function () {
      if (+slider.value >= S.length - 1) { stop(); return; }
      show(+slider.value + 1);
    }, Math.max(40, Math.min(250, 8000 / S.length)));
  }
  play.addEventListener("click", function () { if (timer) stop(); else start(); });
  slider.addEventListener("input", function () { stop(); show(+slider.value); });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "INPUT" && e.key !== " ") return;
    const k = +slider.value;
    if (e.key === "ArrowRight") { stop(); show(k + 1); }
    else if (e.key === "ArrowLeft") { stop(); show(k - 1); }
    else if (e.key === "Home") { stop(); show(0); }
    else if (e.key === "End") { stop(); show(S.length - 1); }
    else if (e.key === " ") { e.preventDefault(); if (timer) stop(); else start(); }
    else return;
  });
  show(0);
})();
