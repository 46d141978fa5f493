// The gallery: "Load older images" fetches the next keyset page (the same page with the store's cursor) and appends
// its cards, so the grid grows in place; without this script the link still works as plain navigation. On the
// newest unfiltered page the gallery is live: it polls the store's changes feed through /gallery/changes (records
// written and ids removed after the page's token) and puts new cards at the top, replaces changed ones, drops
// removed ones and refreshes the stats bar, without a reload.
(function () {
  'use strict';
  var gallery = document.getElementById('gallery');
  var filterBox = document.getElementById('filter-box');
  // On a phone the filters fold away (unless some are set), so the first photos are in the first screen.
  if (filterBox && filterBox.getAttribute('data-filtered') === 'false' && window.matchMedia('(max-width: 40rem)').matches) {
    filterBox.open = false;
  }
  if (!gallery) { return; }

  function wire(link) {
    if (!link) { return; }
    link.addEventListener('click', function (e) {
      e.preventDefault();
      link.textContent = 'Loading…';
      fetch(link.href, { credentials: 'same-origin' })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var next = new DOMParser().parseFromString(html, 'text/html');
          var cards = next.querySelectorAll('#gallery > li');
          var firstNew = null;
          Array.prototype.forEach.call(cards, function (card) {
            var id = card.getAttribute('data-id');
            if (!gallery.querySelector('li[data-id="' + id + '"]')) {
              var adopted = document.importNode(card, true);
              gallery.appendChild(adopted);
              firstNew = firstNew || adopted;
            }
          });
          var nextLink = next.getElementById('load-more');
          if (nextLink) {
            link.href = nextLink.getAttribute('href');
            link.textContent = 'Load older images';
          } else {
            link.parentNode.removeChild(link);
          }
          if (firstNew) { firstNew.querySelector('a').focus({ preventScroll: true }); }
        })
        .catch(function () { link.textContent = 'Could not load more images; try again'; });
    });
  }

  wire(document.getElementById('load-more'));

  var token = gallery.getAttribute('data-changes-token');
  if (!token) { return; }
  var news = document.getElementById('gallery-news');
  var pollMs = 3000;
  var timer = 0;
  var busy = false;

  function apply(doc) {
    var changes = doc.getElementById('changes');
    token = changes.getAttribute('data-next') || token;
    var deleted = (changes.getAttribute('data-deleted') || '').split(' ').filter(Boolean);
    deleted.forEach(function (id) {
      var gone = gallery.querySelector('li[data-id="' + id + '"]');
      if (gone) { gone.parentNode.removeChild(gone); }
    });
    var added = 0;
    // Oldest first: each goes to the top, so the newest ends first.
    Array.prototype.forEach.call(doc.querySelectorAll('#changed-cards > li'), function (card) {
      var adopted = document.importNode(card, true);
      var id = card.getAttribute('data-id');
      var old = gallery.querySelector('li[data-id="' + id + '"]');
      if (old) {
        gallery.replaceChild(adopted, old);
      } else {
        gallery.insertBefore(adopted, gallery.firstChild);
        added++;
      }
    });
    var stats = doc.getElementById('stats');
    if (stats) {
      var current = document.getElementById('stats');
      var fresh = document.importNode(stats, true);
      if (current) {
        current.parentNode.replaceChild(fresh, current);
      } else {
        var section = gallery.closest('section');
        section.parentNode.insertBefore(fresh, section);
      }
    }
    if (added > 0 || deleted.length > 0) {
      var empty = document.getElementById('gallery-empty');
      if (empty && gallery.children.length > 0) { empty.parentNode.removeChild(empty); }
      var parts = [];
      if (added) { parts.push(added === 1 ? '1 new image' : added + ' new images'); }
      if (deleted.length) { parts.push(deleted.length === 1 ? '1 image removed' : deleted.length + ' images removed'); }
      news.textContent = parts.join(', ') + '.';
    }
  }

  function poll() {
    clearTimeout(timer);
    if (busy) { return; }
    if (document.hidden) { timer = setTimeout(poll, pollMs); return; }
    busy = true;
    fetch('/gallery/changes?after=' + encodeURIComponent(token), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (r.status === 410) {
          // The token outlived the store's memory of removals: only a fresh page is certain to be right.
          window.location.reload();
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html) { apply(new DOMParser().parseFromString(html, 'text/html')); }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () {
        busy = false;
        timer = setTimeout(poll, pollMs);
      });
  }

  // An upload of this page that finished: look at once rather than at the next tick.
  document.addEventListener('imagemeta:upload-done', function () { if (!busy) { poll(); } });
  document.addEventListener('visibilitychange', function () { if (!document.hidden && !busy) { poll(); } });
  timer = setTimeout(poll, pollMs);
}());
