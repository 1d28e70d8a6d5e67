/* gradwalk player: one SVG of the graph, a table of steps; each step restyles the SVG.
   No dependencies. The whole state at step k is rebuilt by renderStep(k) from the table
   (and, in a quiz, from the answers given so far). */
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
      drawn[s.node].forEach(function (d) { mark(d.g, "gw-current"); focus = focus || d.g; });
      mark(byId(nodes[s.node].op), "gw-current");
      mark(byId(nodes[s.node].box), "gw-current");
      focus = focus || byId(nodes[s.node].box);
      focus = byId(nodes[s.node].op) || focus;
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
              edgeLabel(e.edge, s.grad + " \u00d7 " + e.local + " = ?");
            }
            drawn[e.parent].forEach(function (d) { mark(d.g, "gw-receiving"); });
            return;
          }
          if (quiz === null) {
            li.textContent = e.equation;
          }
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
      scrollIntoView(focus);
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
    });
    // --- the quiz: one question per edge of each backward step ---------------
    function makeQuiz(options) {
      var tolerance = options.tolerance;
      var answers = {}; // "k:n" -> {status: "right" | "near" | "wrong" | "shown", typed}
      var drafts = {}; // "k:n" -> text typed but not yet checked
      var notes = {}; // "k:n" -> a message about the text typed ("not a number")
      var total = 0;
      var firstBackward = -1;
      steps.forEach(function (s, k) {
        if (s.phase === "backward") {
          total += s.edges.length;
          if (firstBackward < 0) {
            firstBackward = k;
          }
        }
      });
      var scoreEl = root.querySelector(".gw-score");
      var restart = root.querySelector(".gw-restart");

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

      function near(x, y) {
        if (isNaN(y) || isNaN(x)) {
          return isNaN(x) && isNaN(y);
        }
        if (!isFinite(y) || !isFinite(x)) {
          return x === y;
        }
        return Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(y)) * (1 + 1e-9);
      }

      function open(k) {
        var s = steps[k];
        if (s.phase !== "backward") {
          return false;
        }
        for (var n = 0; n < s.edges.length; n++) {
          if (!answers[k + ":" + n]) {
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

      function check(k, n, text) {
        var key = k + ":" + n;
        var s = steps[k];
        var e = s.edges[n];
        var x = parse(text);
        if (x === null) {
          notes[key] = "\u201c" + String(text).trim() + "\u201d is not a number: type one like -0.0707 or 7.07e-2";
          drafts[key] = text;
          show(k, true);
          focus();
          return;
        }
        delete notes[key];
        delete drafts[key];
        var status = "wrong";
        if (near(x, parse(e.exact))) {
          status = "right";
        } else if (near(x, parse(s.grad) * parse(e.local))) {
          status = "near"; // the product of the rounded numbers shown: right too
        }
        answers[key] = { status: status, typed: String(text).trim() };
        show(k, true);
        focus(true);
      }

      function reveal(k, n) {
        var key = k + ":" + n;
        delete notes[key];
        delete drafts[key];
        answers[key] = { status: "shown", typed: "" };
        show(k, true);
        focus(true);
      }

      var VERDICT = {
        right: "\u2713 right",
        near: "\u2713 right, from the rounded numbers shown",
        wrong: "\u2717 not quite",
        shown: "shown"
      };

      // Fill the list item of edge n of step k; true if it is still a question.
      function fill(li, k, n, e) {
        var key = k + ":" + n;
        var a = answers[key];
        if (a) {
          li.className = "gw-answer gw-" + a.status;
          var eq = document.createElement("span");
          eq.textContent = e.equation;
          var verdict = document.createElement("span");
          verdict.className = "gw-verdict";
          var text = VERDICT[a.status];
          if (a.status === "wrong") {
            text += ": you typed " + a.typed + ", the answer is " + e.contribution;
          }
          verdict.textContent = text;
          li.appendChild(eq);
          li.appendChild(verdict);
          return false;
        }
        li.className = "gw-question";
        var q = document.createElement("label");
        q.textContent = e.question + " = ";
        var input = document.createElement("input");
        input.type = "text";
        input.className = "gw-answer-input";
        input.setAttribute("inputmode", "decimal");
        input.setAttribute("autocomplete", "off");
        input.setAttribute("spellcheck", "false");
        input.setAttribute("aria-label", "gradient passed to " + nodes[e.parent].name);
        input.setAttribute("data-key", key);
        input.value = drafts[key] || "";
        input.addEventListener("input", function () { drafts[key] = input.value; });
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault();
            check(k, n, input.value);
          }
        });
        q.appendChild(input);
        var ok = document.createElement("button");
        ok.type = "button";
        ok.className = "gw-check";
        ok.textContent = "check";
        ok.addEventListener("click", function () { check(k, n, input.value); });
        var me = document.createElement("button");
        me.type = "button";
        me.className = "gw-show-me";
        me.textContent = "show me";
        me.addEventListener("click", function () { reveal(k, n); });
        li.appendChild(q);
        li.appendChild(ok);
        li.appendChild(me);
        if (notes[key]) {
          var note = document.createElement("span");
          note.className = "gw-verdict gw-nan";
          note.textContent = notes[key];
          li.appendChild(note);
        }
        return true;
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
          if (answers[key].status === "right" || answers[key].status === "near") {
            right += 1;
          }
        });
        var finished = done === total;
        if (finished) {
          scoreEl.textContent = "Finished: " + right + " of " + total + " right";
        } else if (done === 0) {
          scoreEl.textContent = total + (total === 1 ? " question" : " questions") + " to answer";
        } else {
          scoreEl.textContent = "So far " + right + " of " + done + " right, " + (total - done) + " to go";
        }
        root.setAttribute("data-score", right + "/" + done + "/" + total);
        root.toggleAttribute("data-finished", finished);
      }

      restart.addEventListener("click", function () {
        answers = {};
        drafts = {};
        notes = {};
        stop();
        show(firstBackward < 0 ? 0 : firstBackward);
      });

      return { open: open, reachable: reachable, fill: fill, focus: focus, score: score };
    }

    show(0);
  }

  var players = document.querySelectorAll(".gw-player:not([data-gw-ready])");
  for (var i = 0; i < players.length; i++) {
    init(players[i]);
  }
})();
