// Select many in the gallery. The cards' checkboxes belong to the selection bar's form, which posts without this
// script; here the bar says "3 selected" (and hides while nothing is), a shift-click (or Shift+Space) sets every card
// from the last one touched to this one alike, Enter toggles a focused card's checkbox as Space does, and the bar
// recounts when cards come and go (live gallery, "Load older images").
(function () {
  'use strict';
  var bar = document.getElementById('selection');
  var gallery = document.getElementById('gallery');
  if (!bar || !gallery) { return; }
  var count = document.getElementById('selection-count');
  var last = null;
  var shiftHeld = false;

  function boxes() { return Array.prototype.slice.call(gallery.querySelectorAll('.card-select input[type=checkbox]')); }

  function show() {
    var all = boxes();
    var selected = all.filter(function (b) { return b.checked; }).length;
    all.forEach(function (b) { b.closest('.card').classList.toggle('card-selected', b.checked); });
    count.textContent = selected === 1 ? '1 selected' : selected + ' selected';
    bar.hidden = selected === 0;
    if (last && !gallery.contains(last)) { last = null; }
  }

  gallery.addEventListener('click', function (e) {
    var box = e.target;
    if (!(box instanceof HTMLInputElement) || !box.closest('.card-select')) { return; }
    if ((e.shiftKey || shiftHeld) && last && last !== box) {
      var all = boxes();
      var from = all.indexOf(last);
      var to = all.indexOf(box);
      if (from >= 0 && to >= 0) {
        all.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (b) { b.checked = box.checked; });
      }
    }
    last = box;
    show();
  });

  gallery.addEventListener('keydown', function (e) {
    if (e.key === 'Shift') { shiftHeld = true; }
    var box = e.target;
    if (e.key === 'Enter' && box instanceof HTMLInputElement && box.closest('.card-select')) {
      // A checkbox takes Space natively; Enter would otherwise do nothing (there is no form to submit from here).
      e.preventDefault();
      box.click();
    }
  });
  document.addEventListener('keyup', function (e) { if (e.key === 'Shift') { shiftHeld = false; } });
  window.addEventListener('blur', function () { shiftHeld = false; });

  // "Clear" is the form's reset button: the boxes are unchecked after the event, so look once it has run.
  bar.addEventListener('reset', function () {
    setTimeout(function () {
      show();
      var first = boxes()[0];
      if (first) { first.focus(); }
    }, 0);
  });
  new MutationObserver(show).observe(gallery, { childList: true, subtree: true });
  show();
}());
