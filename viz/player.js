/* gradwalk backward player: shows one frame of the backward pass at a time. No dependencies. */
(function () {
  "use strict";

  function init(root) {
    root.setAttribute("data-gw-ready", "1");
    var frames = root.querySelectorAll(".gw-frame");
    if (!frames.length) {
      return;
    }
    var prev = root.querySelector(".gw-prev");
    var next = root.querySelector(".gw-next");
    var play = root.querySelector(".gw-play");
    var slider = root.querySelector(".gw-slider");
    var counter = root.querySelector(".gw-counter");
    var caption = root.querySelector(".gw-caption");
    var interval = parseInt(root.getAttribute("data-interval"), 10) || 1200;
    var current = 0;
    var timer = null;

    function show(k) {
      k = Math.max(0, Math.min(frames.length - 1, k));
      frames[current].hidden = true;
      frames[k].hidden = false;
      current = k;
      slider.value = String(k);
      counter.textContent = (k + 1) + " / " + frames.length;
      caption.textContent = frames[k].getAttribute("data-caption");
      prev.disabled = k === 0;
      next.disabled = k === frames.length - 1;
      root.setAttribute("data-step", String(k + 1));
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
      if (current === frames.length - 1) {
        show(0);
      }
      play.textContent = "\u275A\u275A pause";
      root.setAttribute("data-playing", "1");
      timer = setInterval(function () {
        if (current >= frames.length - 1) {
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
      if (event.key === "ArrowLeft") {
        stop(); show(current - 1); event.preventDefault();
      } else if (event.key === "ArrowRight") {
        stop(); show(current + 1); event.preventDefault();
      } else if (event.key === " ") {
        play.click(); event.preventDefault();
      }
    });
    show(0);
  }

  var players = document.querySelectorAll(".gw-player:not([data-gw-ready])");
  for (var i = 0; i < players.length; i++) {
    init(players[i]);
  }
})();
