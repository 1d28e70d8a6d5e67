/* gradwalk player: one SVG of the graph, a table of steps; each step restyles the SVG.
   No dependencies. The whole state at step k is rebuilt by renderStep(k) from the table. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";

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

    function scrollIntoView(el) {
      if (!el) {
        return;
      }
      var r = el.getBoundingClientRect();
      var v = view.getBoundingClientRect();
      var margin = 24;
      if (r.left < v.left + margin || r.right > v.right - margin) {
        view.scrollLeft += (r.left + r.right) / 2 - (v.left + v.right) / 2;
      }
      if (r.top < v.top + margin || r.bottom > v.bottom - margin) {
        view.scrollTop += (r.top + r.bottom) / 2 - (v.top + v.bottom) / 2;
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

    function edgeLabel(edgeId, text) {
      var g = byId(edgeId);
      var path = g && g.querySelector("path");
      if (!path) {
        return;
      }
      var len = path.getTotalLength();
      var p = path.getPointAtLength(len / 2);
      var t = document.createElementNS(SVGNS, "text");
      t.setAttribute("x", String(p.x));
      t.setAttribute("y", String(p.y - 4));
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("class", "gw-edge-label");
      t.textContent = text;
      g.appendChild(t);
      var box = t.getBBox();
      var bg = document.createElementNS(SVGNS, "rect");
      bg.setAttribute("x", String(box.x - 2));
      bg.setAttribute("y", String(box.y - 1));
      bg.setAttribute("width", String(box.width + 4));
      bg.setAttribute("height", String(box.height + 2));
      bg.setAttribute("class", "gw-edge-label-bg");
      g.insertBefore(bg, t);
      labels.push(bg, t);
    }

    // The whole picture at step k: values computed so far, gradients passed so far, highlights.
    function renderStep(k) {
      var data = nodes.map(function (n) { return n.data; });
      var grad = nodes.map(function () { return null; });
      var partial = nodes.map(function () { return false; });
      var i, j, s;
      for (i = 0; i <= k; i++) {
        s = steps[i];
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
      drawn[s.node].forEach(function (d) { mark(d.g, "gw-current"); focus = focus || d.g; });
      mark(byId(nodes[s.node].op), "gw-current");
      mark(byId(nodes[s.node].box), "gw-current");
      focus = focus || byId(nodes[s.node].box);
      focus = byId(nodes[s.node].op) || focus;
      details.textContent = "";
      if (s.phase === "forward") {
        s.edges.forEach(function (e) { mark(byId(e), "gw-feeding"); });
      } else {
        s.edges.forEach(function (e) {
          var li = document.createElement("li");
          li.textContent = e.equation;
          details.appendChild(li);
          if (e.edge) {
            mark(byId(e.edge), "gw-passing");
            var eg = byId(e.edge);
            if (!eg || !eg.querySelector("text")) {
              edgeLabel(e.edge, s.grad + " \u00d7 " + e.local + " = " + e.contribution);
            }
          }
          drawn[e.parent].forEach(function (d) { mark(d.g, "gw-receiving"); });
        });
      }
      caption.textContent = s.caption;
      phase.textContent = s.phase + " pass \u00b7 step " + s.step + " of " + s.total;
      phase.setAttribute("data-phase", s.phase);
      counter.textContent = (k + 1) + " / " + steps.length;
      slider.value = String(k);
      prev.disabled = k === 0;
      next.disabled = k === steps.length - 1;
      root.setAttribute("data-step", String(k + 1));
      root.setAttribute("data-phase", s.phase);
      scrollIntoView(focus);
    }

    function show(k) {
      current = Math.max(0, Math.min(steps.length - 1, k));
      renderStep(current);
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
        if (current >= steps.length - 1) {
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
      if (event.target === slider) {
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
    });
    show(0);
  }

  var players = document.querySelectorAll(".gw-player:not([data-gw-ready])");
  for (var i = 0; i < players.length; i++) {
    init(players[i]);
  }
})();
