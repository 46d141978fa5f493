// The jobs page's progress without a reload: every two seconds (while the tab is shown) fetch the list's fragment
// and put it in place of the list. Focus on a job's button survives a swap (the same button is focused again).
(function () {
  'use strict';
  var list = document.getElementById('job-list');
  if (!list) { return; }
  var url = list.getAttribute('data-poll');
  var pollMs = 2000;
  var busy = false;

  function focusedKey() {
    var active = document.activeElement;
    if (!active || !list.contains(active) || active.tagName !== 'BUTTON') { return null; }
    var job = active.closest('[data-job]');
    return job ? { job: job.getAttribute('data-job'), action: active.value } : null;
  }

  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var key = focusedKey();
        list.innerHTML = html;
        if (key) {
          var again = list.querySelector('[data-job="' + CSS.escape(key.job) + '"] button[value="' + CSS.escape(key.action) + '"]');
          if (again) { again.focus(); }
        }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { busy = false; });
  }

  setInterval(poll, pollMs);
  document.addEventListener('visibilitychange', poll);
}());
