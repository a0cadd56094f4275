// Keys for the queue (j/k, a/r/s, e, u, /, ?). The pages work without this file.
(function () {
  "use strict";
  var stories = function () { return Array.prototype.slice.call(document.querySelectorAll(".story")); };
  var current = null;

  function select(story) {
    if (!story) return;
    if (current) current.classList.remove("current");
    current = story;
    story.classList.add("current");
    story.focus({ preventScroll: false });
    if (history.replaceState) history.replaceState(null, "", "#" + story.id);
  }

  function move(step) {
    var all = stories();
    if (!all.length) return;
    var index = current ? all.indexOf(current) : -1;
    select(all[Math.min(Math.max(index + step, 0), all.length - 1)]);
  }

  function press(key) {
    if (!current) return;
    var button = current.querySelector('button[data-key="' + key + '"]');
    if (button) button.click();
  }

  function toggleHelp(show) {
    var keys = document.getElementById("keys");
    var button = document.querySelector(".help-button");
    if (!keys) return;
    var open = show === undefined ? keys.hidden : show;
    keys.hidden = !open;
    if (button) button.setAttribute("aria-expanded", String(open));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var help = document.querySelector(".help-button");
    if (help) {
      help.hidden = false;
      help.addEventListener("click", function () { toggleHelp(); });
    }
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.classList.contains("story")) select(target);
    else if (stories().length) { current = stories()[0]; current.classList.add("current"); }
  });

  document.addEventListener("focusin", function (event) {
    var story = event.target.closest && event.target.closest(".story");
    if (story && story !== current) {
      if (current) current.classList.remove("current");
      current = story;
      story.classList.add("current");
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var field = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    if (field) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": case "r": case "s": press(event.key); break;
      case "e":
        if (current) { var d = current.querySelector("details"); if (d) d.open = !d.open; }
        break;
      case "u": var undo = document.querySelector("#undo button"); if (undo) undo.click(); break;
      case "/": var words = document.getElementById("words"); if (words) words.focus(); break;
      case "?": toggleHelp(); break;
      case "Escape": toggleHelp(false); break;
      default: return;
    }
    event.preventDefault();
  });
})();

// The annotate page: the preview follows the editor's typing (half a second after the
// last key), and shows once when the page opens.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.annotate");
    var button = form && form.querySelector(".preview-button");
    if (!form || !button || !form.requestSubmit) return;
    var timer = null;
    var refresh = function () { form.requestSubmit(button); };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 500);
    });
    refresh();
  });
})();

// The issue page: drag a story to reorder; the numbers follow, and Save keeps the order.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("ol.order");
    if (!list) return;
    var dragged = null;
    var renumber = function () {
      Array.prototype.forEach.call(list.querySelectorAll("input.position"), function (input, i) {
        input.value = String(i + 1);
      });
    };
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("li.placed");
      if (!dragged) return;
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.slug || "");
    });
    list.addEventListener("dragover", function (event) {
      var over = event.target.closest("li.placed");
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) { event.preventDefault(); });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      renumber();
    });
  });
})();
