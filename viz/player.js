/* gradwalk player: one SVG of the graph, a table of steps; each step restyles the SVG.
   No dependencies. The whole state at step k is rebuilt by renderStep(k) from the table
   (and, in a quiz, from the answers given so far). */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";

  // A name or number as an operand: bracketed unless one name or an unsigned number.
  function term(text) {
    return /^[\p{L}\p{N}_.']+(\[[\p{L}\p{N}_., ]*\])*$/u.test(text) || /^\d[\d.]*e[+-]\d+$/.test(text) ? text : "(" + text + ")";
  }

  function init(root) {
    root.setAttribute("data-gw-ready", "1");
    var dataEl = root.querySelector(".gw-data");
    if (!dataEl) {
      return;
    }
    var table = JSON.parse(dataEl.textContent);
    var steps = table.steps;
    var nodes = table.nodes;
    var view = root.querySelector(".gw-view");
    var svg = view.querySelector("svg");
    var prev = root.querySelector(".gw-prev");
    var next = root.querySelector(".gw-next");
    var play = root.querySelector(".gw-play");
    var slider = root.querySelector(".gw-slider");
    var counter = root.querySelector(".gw-counter");
    var phase = root.querySelector(".gw-phase");
    var caption = root.querySelector(".gw-caption");
    var details = root.querySelector(".gw-details");
    var interval = parseInt(root.getAttribute("data-interval"), 10) || 1200;
    var current = 0;
    var timer = null;
    var quiz = table.quiz ? makeQuiz(table.quiz) : null;

    function byId(id) {
      return id ? svg.querySelector('[id="' + id + '"]') : null;
    }

    // Each value's drawn copies, with their data and grad <text> elements (cells: name, data, grad).
    var drawn = nodes.map(function (n) {
      return n.ids.map(function (id) {
        var g = byId(id);
        if (!g) {
          return null;
        }
        var texts = g.querySelectorAll("text");
        var group = g.classList.contains("group");
        // A collapsed box ends with its output's "out" and grad rows.
        return {
          g: g,
          data: group ? texts[texts.length - 2] : texts[1],
          grad: group ? texts[texts.length - 1] : texts[2],
          group: group
        };
      }).filter(function (d) { return d; });
    });

    // --- zoom and pan -----------------------------------------------------
    var baseW = svg.viewBox.baseVal.width;
    var baseH = svg.viewBox.baseVal.height;
    var PX = 4 / 3; // Graphviz sizes are points; 1:1 is 1 pt = 4/3 px
    var zoom = 1;

    function setZoom(z, cx, cy) {
      z = Math.max(0.1, Math.min(8, z));
      var rect = view.getBoundingClientRect();
      if (cx === undefined) {
        cx = rect.width / 2;
        cy = rect.height / 2;
      }
      var gx = (view.scrollLeft + cx) / zoom;
      var gy = (view.scrollTop + cy) / zoom;
      zoom = z;
      svg.setAttribute("width", String(baseW * PX * zoom));
      svg.setAttribute("height", String(baseH * PX * zoom));
      view.scrollLeft = gx * zoom - cx;
      view.scrollTop = gy * zoom - cy;
      root.setAttribute("data-zoom", zoom.toFixed(3));
      if (typeof updateOverview === "function") {
        updateOverview();
      }
    }

    function fit() {
      setZoom(Math.min(view.clientWidth / (baseW * PX), view.clientHeight / (baseH * PX), 1));
    }

    svg.removeAttribute("style");
    setZoom(1);
    root.querySelector(".gw-zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
    root.querySelector(".gw-zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
    root.querySelector(".gw-fit").addEventListener("click", fit);
    root.querySelector(".gw-actual").addEventListener("click", function () { setZoom(1); });
    view.addEventListener("wheel", function (event) {
      event.preventDefault();
      var rect = view.getBoundingClientRect();
      var factor = Math.exp(-event.deltaY * 0.0015);
      setZoom(zoom * factor, event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    var drag = null;
    view.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX, y: event.clientY, left: view.scrollLeft, top: view.scrollTop };
      view.classList.add("gw-dragging");
    });
    window.addEventListener("pointermove", function (event) {
      if (drag) {
        view.scrollLeft = drag.left - (event.clientX - drag.x);
        view.scrollTop = drag.top - (event.clientY - drag.y);
      }
    });
    window.addEventListener("pointerup", function () {
      drag = null;
      view.classList.remove("gw-dragging");
    });

    // Scroll so that the current node (its op and value: core) and the nodes it passes to
    // (others) are in view if they fit, else the core with as many of the others, nearest
    // first, as fit with it; nothing moves if they are in view already.
    function scrollIntoView(core, others) {
      core = core.filter(function (el) { return el; });
      others = others.filter(function (el) { return el; });
      if (!core.length) {
        return;
      }
      var v = view.getBoundingClientRect();
      var margin = 24;
      function join(b, r) {
        return { left: Math.min(b.left, r.left), right: Math.max(b.right, r.right),
                 top: Math.min(b.top, r.top), bottom: Math.max(b.bottom, r.bottom) };
      }
      function fits(b) {
        return b.right - b.left <= v.width - 2 * margin && b.bottom - b.top <= v.height - 2 * margin;
      }
      function rect(el) { return el.getBoundingClientRect(); }
      var r = core.map(rect).reduce(join);
      var cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
      function distance(q) {
        return Math.hypot((q.left + q.right) / 2 - cx, (q.top + q.bottom) / 2 - cy);
      }
      others.map(rect).sort(function (a, b) { return distance(a) - distance(b); }).forEach(function (q) {
        var t = join(r, q);
        if (fits(t)) {
          r = t;
        }
      });
      if (r.left < v.left + margin || r.right > v.right - margin) {
        view.scrollLeft += (r.left + r.right) / 2 - (v.left + v.right) / 2;
      }
      if (r.top < v.top + margin || r.bottom > v.bottom - margin) {
        view.scrollTop += (r.top + r.bottom) / 2 - (v.top + v.bottom) / 2;
      }
    }

    // --- the overview: the whole graph in small, where the view is, the current node --------
    var overview; // made on first use (setZoom may come first)

    function makeOverview() {
      var stage = document.createElement("div");
      stage.className = "gw-stage";
      view.parentNode.insertBefore(stage, view);
      stage.appendChild(view);
      var box = document.createElement("div");
      box.className = "gw-overview";
      box.setAttribute("title", "the whole graph: the frame is what the view shows, red the current node; click to go there");
      // as tall as the graph's shape needs, within 40 to 130 px, so it hides little of the view
      box.style.height = Math.round(Math.max(40, Math.min(130, 200 * baseH / baseW))) + "px";
      var mini = document.createElementNS(SVGNS, "svg");
      mini.setAttribute("viewBox", "0 0 " + baseW + " " + baseH);
      mini.setAttribute("preserveAspectRatio", "xMidYMid meet");
      var g = document.createElementNS(SVGNS, "g");
      var top = svg.querySelector("g.graph") || svg.querySelector("g");
      if (top && top.getAttribute("transform")) {
        g.setAttribute("transform", top.getAttribute("transform"));
      }
      mini.appendChild(g);
      var rects = {};
      svg.querySelectorAll("g.node").forEach(function (n) {
        var b = n.getBBox();
        var r = el("rect", { x: b.x, y: b.y, width: Math.max(b.width, 1), height: Math.max(b.height, 1) }, g);
        rects[n.id] = r;
      });
      var frame = el("rect", { class: "gw-overview-frame" }, mini);
      box.appendChild(mini);
      stage.appendChild(box);
      box.addEventListener("pointerdown", function (event) {
        event.stopPropagation();
        var r = mini.getBoundingClientRect();
        var scale = Math.min(r.width / baseW, r.height / baseH);
        var offX = (r.width - baseW * scale) / 2;
        var offY = (r.height - baseH * scale) / 2;
        var gx = (event.clientX - r.left - offX) / scale;
        var gy = (event.clientY - r.top - offY) / scale;
        view.scrollLeft = gx * PX * zoom - view.clientWidth / 2;
        view.scrollTop = gy * PX * zoom - view.clientHeight / 2;
      });
      view.addEventListener("scroll", function () { updateOverview(); });
      return { box: box, frame: frame, rects: rects, lit: [] };
    }

    function el(tag, attrs, parent) {
      var e = document.createElementNS(SVGNS, tag);
      Object.keys(attrs).forEach(function (key) { e.setAttribute(key, String(attrs[key])); });
      parent.appendChild(e);
      return e;
    }

    // Shown only while the graph is larger than the view.
    function updateOverview(current) {
      var big = baseW * PX * zoom > view.clientWidth + 2 || baseH * PX * zoom > view.clientHeight + 2;
      if (!big && !overview) {
        return;
      }
      if (!overview) {
        overview = makeOverview();
      }
      overview.box.style.display = big ? "" : "none";
      root.toggleAttribute("data-overview", big);
      var f = overview.frame;
      var unit = PX * zoom;
      f.setAttribute("x", String(view.scrollLeft / unit));
      f.setAttribute("y", String(view.scrollTop / unit));
      f.setAttribute("width", String(Math.min(baseW, view.clientWidth / unit)));
      f.setAttribute("height", String(Math.min(baseH, view.clientHeight / unit)));
      if (current) {
        overview.lit.forEach(function (r) { r.removeAttribute("class"); });
        overview.lit = current.map(function (id) { return overview.rects[id]; }).filter(function (r) { return r; });
        overview.lit.forEach(function (r) { r.setAttribute("class", "gw-overview-current"); });
      }
    }

    // --- one step ---------------------------------------------------------
    var marked = [];
    var labels = [];

    function mark(el, cls) {
      if (el) {
        el.classList.add(cls);
        marked.push([el, cls]);
      }
    }

    var nodeBoxes = null; // every node's box in the graph's coordinates, measured once

    function overlaps(a, b) {
      return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    }

    // A label on an edge: at the first point along it (the middle first) where it covers no
    // node and no other label; none if there is no such point (the list above the graph
    // says the same).
    function edgeLabel(edgeId, text) {
      var g = byId(edgeId);
      var path = g && g.querySelector("path");
      if (!path) {
        return;
      }
      if (nodeBoxes === null) {
        nodeBoxes = Array.prototype.map.call(svg.querySelectorAll("g.node"), function (n) { return n.getBBox(); });
      }
      var len = path.getTotalLength();
      var t = document.createElementNS(SVGNS, "text");
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("class", "gw-edge-label");
      t.textContent = text;
      g.appendChild(t);
      var taken = labels.filter(function (l) { return l.tagName === "rect"; }).map(function (l) { return l.getBBox(); });
      var spots = [0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9];
      for (var i = 0; i < spots.length; i++) {
        var p = path.getPointAtLength(len * spots[i]);
        t.setAttribute("x", String(p.x));
        t.setAttribute("y", String(p.y - 4));
        var box = t.getBBox();
        var pad = { x: box.x - 2, y: box.y - 1, width: box.width + 4, height: box.height + 2 };
        var free = !nodeBoxes.some(function (b) { return overlaps(pad, b); }) &&
          !taken.some(function (b) { return overlaps(pad, b); });
        if (free) {
          var bg = document.createElementNS(SVGNS, "rect");
          bg.setAttribute("x", String(pad.x));
          bg.setAttribute("y", String(pad.y));
          bg.setAttribute("width", String(pad.width));
          bg.setAttribute("height", String(pad.height));
          bg.setAttribute("class", "gw-edge-label-bg");
          g.insertBefore(bg, t);
          labels.push(bg, t);
          return;
        }
      }
      g.removeChild(t);
    }

    // The whole picture at step k: values computed so far, gradients passed so far, highlights.
    function renderStep(k) {
      var data = nodes.map(function (n) { return n.data; });
      var grad = nodes.map(function () { return null; });
      var partial = nodes.map(function () { return false; });
      var asking = quiz !== null && quiz.open(k);
      var i, j, s;
      for (i = 0; i <= k; i++) {
        s = steps[i];
        if (asking && i === k) {
          grad[s.node] = s.grad; // known; what it passes on is the question, not shown yet
          partial[s.node] = false;
          break;
        }
        if (s.phase === "forward") {
          data[s.node] = s.value;
        } else {
          grad[s.node] = s.grad;
          partial[s.node] = false;
          for (j = 0; j < s.edges.length; j++) {
            grad[s.edges[j].parent] = s.edges[j].total;
            partial[s.edges[j].parent] = !s.edges[j].complete;
          }
        }
      }
      for (i = 0; i < nodes.length; i++) {
        var gtext = grad[i] === null ? "grad \u2014" : "grad " + grad[i] + (partial[i] ? " (so far)" : "");
        var dtext = data[i] === null ? "data \u2014" : "data " + data[i];
        for (j = 0; j < drawn[i].length; j++) {
          var d = drawn[i][j];
          if (d.data) {
            d.data.textContent = d.group ? dtext.replace("data", "out") : dtext;
          }
          if (d.grad) {
            d.grad.textContent = gtext;
          }
          d.g.classList.toggle("gw-pending", data[i] === null);
        }
      }
      while (marked.length) {
        var m = marked.pop();
        m[0].classList.remove(m[1]);
      }
      while (labels.length) {
        var el = labels.pop();
        el.parentNode.removeChild(el);
      }
      s = steps[k];
      var focus = null;
      var ends = [];
      var valueEl = null;
      drawn[s.node].forEach(function (d) { mark(d.g, "gw-current"); valueEl = valueEl || d.g; });
      mark(byId(nodes[s.node].op), "gw-current");
      mark(byId(nodes[s.node].box), "gw-current");
      valueEl = valueEl || byId(nodes[s.node].box);
      focus = byId(nodes[s.node].op) || valueEl;
      details.textContent = "";
      if (s.phase === "forward") {
        s.edges.forEach(function (e) { mark(byId(e), "gw-feeding"); });
      } else {
        s.edges.forEach(function (e, n) {
          var li = document.createElement("li");
          details.appendChild(li);
          if (quiz !== null && quiz.fill(li, k, n, e)) {
            if (e.edge) {
              mark(byId(e.edge), "gw-asking");
              edgeLabel(e.edge, quiz.edgeText(k, n, e));
            }
            drawn[e.parent].forEach(function (d) { mark(d.g, "gw-receiving"); ends.push(d.g); });
            return;
          }
          if (quiz === null) {
            li.textContent = e.equation;
          }
          if (e.edge) {
            mark(byId(e.edge), "gw-passing");
            var eg = byId(e.edge);
            if (!eg || !eg.querySelector("text")) {
              edgeLabel(e.edge, s.grad + " \u00d7 " + term(e.local) + " = " + e.contribution);
            }
          }
          drawn[e.parent].forEach(function (d) { mark(d.g, "gw-receiving"); ends.push(d.g); });
        });
      }
      caption.textContent = asking ? s.caption.replace(/ to its inputs$/, ": what does each input get?") : s.caption;
      phase.textContent = s.phase + " pass \u00b7 step " + s.step + " of " + s.total;
      phase.setAttribute("data-phase", s.phase);
      counter.textContent = (k + 1) + " / " + steps.length;
      slider.value = String(k);
      prev.disabled = k === 0;
      next.disabled = k === steps.length - 1 || asking;
      if (quiz !== null) {
        quiz.score();
      }
      root.setAttribute("data-step", String(k + 1));
      root.setAttribute("data-phase", s.phase);
      scrollIntoView([focus, valueEl], ends);
      updateOverview(nodes[s.node].ids.concat(nodes[s.node].op ? [nodes[s.node].op] : []).concat(nodes[s.node].box ? [nodes[s.node].box] : []));
    }

    function show(k, keepFocus) {
      current = Math.max(0, Math.min(steps.length - 1, k));
      if (quiz !== null) {
        current = Math.min(current, quiz.reachable());
      }
      renderStep(current);
      if (quiz !== null && !keepFocus) {
        quiz.focus();
      }
    }

    function stop() {
      if (timer !== null) {
        clearInterval(timer);
        timer = null;
      }
      play.textContent = "\u25B6 play";
      root.removeAttribute("data-playing");
    }

    function start() {
      if (current === steps.length - 1) {
        show(0);
      }
      play.textContent = "\u275A\u275A pause";
      root.setAttribute("data-playing", "1");
      timer = setInterval(function () {
        if (current >= steps.length - 1 || (quiz !== null && quiz.open(current))) {
          stop();
        } else {
          show(current + 1);
        }
      }, interval);
    }

    prev.addEventListener("click", function () { stop(); show(current - 1); });
    next.addEventListener("click", function () { stop(); show(current + 1); });
    play.addEventListener("click", function () {
      if (timer !== null) {
        stop();
      } else {
        start();
      }
    });
    slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
    root.addEventListener("keydown", function (event) {
      if (event.target === slider || event.target.tagName === "INPUT") {
        return;
      }
      var key = event.key;
      if (key === "ArrowLeft") {
        stop(); show(current - 1);
      } else if (key === "ArrowRight") {
        stop(); show(current + 1);
      } else if (key === " ") {
        play.click();
      } else if (key === "Home") {
        stop(); show(0);
      } else if (key === "End") {
        stop(); show(steps.length - 1);
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation(); // a notebook must not also act on it (move between cells)
    });
    // The keys work as the page opens when this is its only player; with several (a
    // notebook), the one under the mouse or last clicked gets them, unless text is being typed.
    function typing(el) {
      return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
    }
    root.addEventListener("mouseenter", function () {
      var active = document.activeElement;
      if (!typing(active) && !root.contains(active)) {
        root.focus({ preventScroll: true });
      }
    });
    function focusIfAlone() {
      if (document.querySelectorAll(".gw-player").length === 1 &&
          (!document.activeElement || document.activeElement === document.body)) {
        root.focus({ preventScroll: true });
      }
    }
    if (document.readyState === "loading") { // later players of the page are not parsed yet
      document.addEventListener("DOMContentLoaded", focusIfAlone);
    } else {
      focusIfAlone();
    }
    // --- the quiz: two questions per edge of each backward step ----------------
    // First the local derivative (what does n3 = a ** 2 give for ∂n3/∂a here?), then the
    // chain rule's product with the upstream gradient the learner reads off the current node.
    // Answers are judged at the precision typed; a wrong one gets a hint and another try.
    function makeQuiz(options) {
      var answers = {}; // "k:n:part" -> {status: "right" | "near" | "shown", typed, tries}
      var tries = {}; // "k:n:part" -> wrong tries so far
      var drafts = {}; // "k:n:part" -> text typed but not yet checked
      var notes = {}; // "k:n:part" -> {text, kind: "wrong" | "nan" | "vague"}
      var total = 0;
      var firstBackward = -1;
      var made = {}; // node -> its forward caption ("n3 = a ** 2 = 2.0000 ** 2 = 4.0000")
      steps.forEach(function (s, k) {
        if (s.phase === "backward") {
          total += 2 * s.edges.length;
          if (firstBackward < 0) {
            firstBackward = k;
          }
        } else {
          made[s.node] = s.caption;
        }
      });
      var scoreEl = root.querySelector(".gw-score");
      var restart = root.querySelector(".gw-restart");
      var rootName = term(nodes[table.root].name);

      // A number as typed: "-0.0707", "7.07e-2", "−0.07" (a typographic minus), "inf", "nan".
      function parse(text) {
        var t = String(text).trim().replace(/\u2212/g, "-").replace(/\s+/g, "");
        if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) {
          return parseFloat(t);
        }
        if (/^[+-]?(inf|infinity|\u221e)$/i.test(t)) {
          return t.charAt(0) === "-" ? -Infinity : Infinity;
        }
        if (/^nan$/i.test(t)) {
          return NaN;
        }
        return null;
      }

      // Decimal places a typed number gives: "0.07" 2, "7.07e-2" 4, "3" 0.
      function decimals(text) {
        var t = String(text).trim().replace(/\u2212/g, "-").toLowerCase();
        var m = /^[+-]?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/.exec(t);
        if (!m) {
          return 17;
        }
        return Math.max(0, (m[2] || "").length - (m[3] ? parseInt(m[3], 10) : 0));
      }

      // Is x, typed with d decimals, y rounded to d decimals?
      function same(x, y, d) {
        if (isNaN(y) || isNaN(x)) {
          return isNaN(x) && isNaN(y);
        }
        if (!isFinite(y) || !isFinite(x)) {
          return x === y;
        }
        var half = 0.5 * Math.pow(10, -Math.min(d, 17));
        return Math.abs(x - y) <= half * (1 + 1e-9) + 1e-15 * Math.abs(y);
      }

      function ask(k, n, part) {
        return answers[k + ":" + n + ":" + part];
      }

      function done(k, n) {
        return !!ask(k, n, "product");
      }

      function open(k) {
        var s = steps[k];
        if (s.phase !== "backward") {
          return false;
        }
        for (var n = 0; n < s.edges.length; n++) {
          if (!done(k, n)) {
            return true;
          }
        }
        return false;
      }

      function reachable() {
        for (var k = 0; k < steps.length; k++) {
          if (open(k)) {
            return k;
          }
        }
        return steps.length - 1;
      }

      function names(k, e) {
        var s = steps[k];
        return { node: term(nodes[s.node].name), parent: term(nodes[e.parent].name) };
      }

      // What a wrong answer most likely is, in check_gradients' words ("" if nothing fits).
      function hint(k, n, part, x, d) {
        var s = steps[k];
        var e = s.edges[n];
        var nm = names(k, e);
        var local = parse(e.localExact);
        var upstream = parse(s.g);
        var right = part === "local" ? local : parse(e.exact);
        var dLocal = "\u2202" + nm.node + "/\u2202" + nm.parent;
        var dUp = "\u2202" + rootName + "/\u2202" + nm.node;
        if (right !== 0 && same(x, -right, d)) {
          return "the sign is flipped";
        }
        if (part === "local") {
          if (same(x, parse(e.exact), d) && !same(x, right, d)) {
            return "that is the whole product; here only the local derivative " + dLocal + " is asked";
          }
          for (var j = 0; j < s.edges.length; j++) {
            if (j !== n && s.edges[j].parent !== e.parent && same(x, parse(s.edges[j].localExact), d)) {
              return "that is the derivative with respect to " + term(nodes[s.edges[j].parent].name) +
                ", the other input";
            }
          }
          return "differentiate " + (made[s.node] || nm.node).split(" = ").slice(0, 2).join(" = ") +
            " with respect to " + nm.parent + ", then put in the numbers";
        }
        if (same(x, local, d) && !same(x, right, d)) {
          return "that is only the local derivative " + dLocal + "; multiply it by the gradient coming " +
            "from above, " + dUp + " (on " + nm.node + "'s box)";
        }
        if (same(x, upstream, d) && !same(x, right, d)) {
          return "that is only the gradient coming from above, " + dUp + "; multiply it by the local " +
            "derivative " + dLocal;
        }
        var ratios = [2, 3, 4, 0.5, 1 / 3, 0.25];
        for (var r = 0; r < ratios.length; r++) {
          if (right !== 0 && same(x, ratios[r] * right, d)) {
            return "your answer is " + (ratios[r] >= 1 ? ratios[r] : "1/" + Math.round(1 / ratios[r])) +
              " times the right one: check each factor";
          }
        }
        return "the chain rule: " + dUp + " \u00d7 " + dLocal;
      }

      function check(k, n, part, text) {
        var key = k + ":" + n + ":" + part;
        var s = steps[k];
        var e = s.edges[n];
        var x = parse(text);
        drafts[key] = text;
        if (x === null) {
          notes[key] = { kind: "nan", text: "\u201c" + String(text).trim() + "\u201d is not a number: type one like -0.0707 or 7.07e-2" };
          show(k, true);
          focus();
          return;
        }
        var right = part === "local" ? parse(e.localExact) : parse(e.exact);
        var d = x === right ? 17 : decimals(text); // typed exactly: no rounding to speak of
        var shownProduct = parse(s.grad) * parse(e.local); // from the rounded numbers shown
        var status = null;
        if (same(x, right, d)) {
          status = "right";
        } else if (part === "product" && same(x, shownProduct, Math.min(d, 4))) {
          status = "near";
        }
        if (status !== null && x === 0 && right !== 0 && d < 17) {
          notes[key] = { kind: "vague", text: "0 is right only to " + d + " decimals: give more digits" };
          show(k, true);
          focus();
          return;
        }
        if (status === null) {
          tries[key] = (tries[key] || 0) + 1;
          notes[key] = { kind: "wrong", text: "\u2717 not quite: " + hint(k, n, part, x, d) + ". Try again, or press \u201cshow me\u201d." };
          show(k, true);
          focus();
          return;
        }
        delete notes[key];
        delete drafts[key];
        answers[key] = { status: status, typed: String(text).trim(), tries: tries[key] || 0, decimals: d };
        show(k, true);
        focus(true);
      }

      function reveal(k, n, part) {
        var key = k + ":" + n + ":" + part;
        delete notes[key];
        delete drafts[key];
        answers[key] = { status: "shown", typed: "", tries: tries[key] || 0 };
        show(k, true);
        focus(true);
      }

      function verdict(a, exact) {
        if (a.status === "shown") {
          return "shown";
        }
        var text = "\u2713 right";
        if (a.status === "near") {
          text += ", from the rounded numbers shown";
        } else if (a.decimals < 4) {
          text += " to " + a.decimals + (a.decimals === 1 ? " decimal" : " decimals") + " (" + exact + " to 4)";
        }
        if (a.tries) {
          text += a.tries === 1 ? ", at the second try" : ", after " + a.tries + " tries";
        }
        return text;
      }

      function line(li, cls, text, verdictText) {
        var row = document.createElement("div");
        row.className = "gw-part " + cls;
        var eq = document.createElement("span");
        eq.textContent = text;
        row.appendChild(eq);
        if (verdictText) {
          var v = document.createElement("span");
          v.className = "gw-verdict";
          v.textContent = verdictText;
          row.appendChild(v);
        }
        li.appendChild(row);
        return row;
      }

      function field(li, k, n, part, label, help) {
        var key = k + ":" + n + ":" + part;
        var row = document.createElement("div");
        row.className = "gw-part gw-asking-" + part;
        var q = document.createElement("label");
        q.textContent = label;
        var input = document.createElement("input");
        input.type = "text";
        input.className = "gw-answer-input";
        input.setAttribute("inputmode", "decimal");
        input.setAttribute("autocomplete", "off");
        input.setAttribute("spellcheck", "false");
        input.setAttribute("aria-label", label);
        input.setAttribute("data-key", key);
        input.setAttribute("data-part", part);
        input.value = drafts[key] || "";
        input.addEventListener("input", function () { drafts[key] = input.value; });
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault();
            check(k, n, part, input.value);
          }
        });
        q.appendChild(input);
        var ok = document.createElement("button");
        ok.type = "button";
        ok.className = "gw-check";
        ok.textContent = "check";
        ok.addEventListener("click", function () { check(k, n, part, input.value); });
        var me = document.createElement("button");
        me.type = "button";
        me.className = "gw-show-me";
        me.textContent = "show me";
        me.addEventListener("click", function () { reveal(k, n, part); });
        row.appendChild(q);
        row.appendChild(ok);
        row.appendChild(me);
        if (help) {
          var h = document.createElement("span");
          h.className = "gw-help";
          h.textContent = help;
          row.appendChild(h);
        }
        if (notes[key]) {
          var note = document.createElement("div");
          note.className = "gw-verdict gw-" + notes[key].kind;
          note.textContent = notes[key].text;
          row.appendChild(note);
        }
        li.appendChild(row);
      }

      // Fill the list item of edge n of step k; true if it is still a question.
      function fill(li, k, n, e) {
        var s = steps[k];
        var nm = names(k, e);
        var dLocal = "\u2202" + nm.node + "/\u2202" + nm.parent;
        var dUp = "\u2202" + rootName + "/\u2202" + nm.node;
        var local = ask(k, n, "local");
        var product = ask(k, n, "product");
        var localText = e.formula === e.local || /^[-\d.e]+$/.test(e.formula) ? e.local : e.formula + " = " + e.local;
        if (product) {
          li.className = "gw-answer gw-" + (product.status === "shown" && local && local.status !== "shown" ? "shown" : product.status);
          line(li, "gw-local", dLocal + " = " + localText, local ? verdict(local, e.local) : "");
          line(li, "gw-product", e.equation, verdict(product, e.contribution));
          return false;
        }
        li.className = "gw-question";
        if (!local) {
          var context = made[s.node] ? "(" + made[s.node] + ")" : "";
          field(li, k, n, "local", "the local derivative " + dLocal + " = ", context);
          return true;
        }
        line(li, "gw-local", dLocal + " = " + localText, verdict(local, e.local));
        field(li, k, n, "product", "\u2202" + rootName + "/\u2202" + nm.parent + " += " + dUp + " \u00b7 " + dLocal + " = ",
          "(" + dUp + ": the gradient on " + nm.node + "'s box)");
        return true;
      }

      // What the graph's edge shows while its questions are open.
      function edgeText(k, n, e) {
        return ask(k, n, "local") ? "? \u00d7 " + term(e.local) + " = ?" : "\u2202" + names(k, e).node + "/\u2202" + names(k, e).parent + " = ?";
      }

      // The first open question of the current step gets the keyboard; once the step's last
      // answer is in (answered), the player gets it back, so that \u2192 goes on.
      function focus(answered) {
        var input = details.querySelector(".gw-answer-input");
        if (input) {
          input.focus({ preventScroll: true });
        } else if (answered) {
          root.focus({ preventScroll: true });
        }
      }

      function score() {
        var right = 0;
        var done = 0;
        Object.keys(answers).forEach(function (key) {
          done += 1;
          var a = answers[key];
          if ((a.status === "right" || a.status === "near") && !a.tries) {
            right += 1;
          }
        });
        var finished = done === total;
        if (finished) {
          scoreEl.textContent = "Finished: " + right + " of " + total + " right at the first try";
        } else if (done === 0) {
          scoreEl.textContent = total + (total === 1 ? " question" : " questions") + " to answer";
        } else {
          scoreEl.textContent = "So far " + right + " of " + done + " right at the first try, " + (total - done) + " to go";
        }
        root.setAttribute("data-score", right + "/" + done + "/" + total);
        root.toggleAttribute("data-finished", finished);
      }

      restart.addEventListener("click", function () {
        answers = {};
        tries = {};
        drafts = {};
        notes = {};
        stop();
        show(firstBackward < 0 ? 0 : firstBackward);
      });

      return { open: open, reachable: reachable, fill: fill, focus: focus, score: score, edgeText: edgeText };
    }

    show(0);
  }

  var players = document.querySelectorAll(".gw-player:not([data-gw-ready])");
  for (var i = 0; i < players.length; i++) {
    init(players[i]);
  }
})();
