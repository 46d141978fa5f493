// The gallery as a timeline: by date taken, newest first, in keyset pages with a header before each month.
// - Paging: "Load older images" (clicked, or reached while scrolling) fetches the next page's cards alone
//   (/?handler=Cards&cursor=…) and appends them. Focus stays where it is, so the new thumbnails load lazily as they
//   come into view. At most MaxPages pages stay in the document: past that the page farthest from view is unloaded
//   (its start is kept, and "Show newer images" or "Load older images" fetches it again), so the DOM stays bounded
//   however far one scrolls.
// - Jump: the month control fetches that month's first page (one request: the store's startAt) in place of the
//   gallery and puts focus on its first card.
// - Place: the address always names the page at the top of the view (?cursor=… or ?month=…, with the filters), and
//   the history entry the card last opened, so Back from a detail page and reload come back to the same card.
// - Live: on the newest unfiltered page it polls the store's changes feed through /gallery/changes and puts a new
//   record in its date position when that falls inside what is loaded (at the top when it is the newest), replaces
//   changed cards, drops removed ones and refreshes the stats bar; a record dated outside the loaded pages is only
//   announced ("placed by date taken"), and appears when paging reaches its date.
// Without this script every link and the jump form work as plain navigation.
(function () {
  'use strict';
  var MaxPages = 8;
  var gallery = document.getElementById('gallery');
  var filterBox = document.getElementById('filter-box');
  // On a phone the filters fold away (unless some are set), so the first photos are in the first screen.
  if (filterBox && filterBox.getAttribute('data-filtered') === 'false' && window.matchMedia('(max-width: 40rem)').matches) {
    filterBox.open = false;
  }
  if (!gallery) { return; }

  var news = document.getElementById('gallery-news');
  var filter = gallery.getAttribute('data-filter') || '';
  var initialStart = gallery.getAttribute('data-start') || '';
  // The pages in the document, top to bottom: where each starts (a query: '', 'month=…' or 'cursor=…') and the cursor after it.
  var pages = [{ start: initialStart, next: gallery.getAttribute('data-next') || null }];
  // Pages unloaded above the first one, nearest last.
  var above = [];
  // Whether the first card is the newest of the timeline (nothing unloaded or unknown above it).
  var atTop = initialStart === '';
  var loading = false;
  // Whether the person has scrolled themselves (wheel, touch, scrolling keys); a scroll that focus caused does not count.
  var scrolled = false;
  function scrolling() { scrolled = true; }
  window.addEventListener('wheel', scrolling, { passive: true, once: true });
  window.addEventListener('touchmove', scrolling, { passive: true, once: true });
  window.addEventListener('keydown', function (e) {
    if (['PageDown', 'End', 'ArrowDown', ' '].indexOf(e.key) >= 0 && !/^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) { scrolling(); }
  }, { passive: true });
  Array.prototype.forEach.call(gallery.querySelectorAll(':scope > li.card'), function (c) { c.setAttribute('data-start', initialStart); });

  function query(start) { return [filter, start].filter(Boolean).join('&'); }
  function address(start) { var q = query(start); return '/' + (q ? '?' + q : ''); }
  function cards() { return gallery.querySelectorAll(':scope > li.card'); }
  function announce(text) { if (news) { news.textContent = text; } }

  // Month headers: one before the first card of each month, whatever was added or removed.
  var monthTitles = {};
  Array.prototype.forEach.call(document.querySelectorAll('#jump-month option'), function (o) {
    var count = Number(o.getAttribute('data-count'));
    monthTitles[o.value] = o.getAttribute('data-label') + (o.hasAttribute('data-count') ? ' · ' + count + (count === 1 ? ' image' : ' images') : '');
  });
  function rememberTitles(root) {
    Array.prototype.forEach.call(root.querySelectorAll('li.month-header'), function (h) {
      var m = h.getAttribute('data-month');
      if (!monthTitles[m]) { monthTitles[m] = h.textContent.trim(); }
    });
  }
  rememberTitles(gallery);
  function reheader() {
    Array.prototype.forEach.call(gallery.querySelectorAll(':scope > li.month-header'), function (h) { h.remove(); });
    var month = null;
    Array.prototype.forEach.call(cards(), function (card) {
      var m = (card.getAttribute('data-sort') || '').slice(0, 7);
      if (m === month) { return; }
      month = m;
      var li = document.createElement('li');
      li.className = 'month-header';
      li.setAttribute('data-month', m);
      var h = document.createElement('h3');
      h.textContent = monthTitles[m] || m;
      li.appendChild(h);
      gallery.insertBefore(li, card);
    });
  }

  function fetchPage(start) {
    var q = query(start);
    return fetch('/?handler=Cards' + (q ? '&' + q : ''), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        rememberTitles(doc);
        var list = doc.getElementById('page-cards');
        var found = Array.prototype.map.call(list.querySelectorAll(':scope > li.card'), function (c) {
          var adopted = document.importNode(c, true);
          adopted.setAttribute('data-start', start);
          return adopted;
        });
        return { start: start, next: list.getAttribute('data-next') || null, cards: found };
      });
  }

  function pageCards(page) {
    return Array.prototype.filter.call(cards(), function (c) { return c.getAttribute('data-start') === page.start; });
  }

  // The older-images link (created again when a trimmed bottom needs it).
  var more = document.getElementById('load-more');
  function setOlder(next) {
    if (!next) {
      if (more) { more.parentNode.remove(); more = null; }
      return;
    }
    if (!more) {
      var p = document.createElement('p');
      more = document.createElement('a');
      more.id = 'load-more';
      more.className = 'button';
      p.appendChild(more);
      gallery.parentNode.insertBefore(p, gallery.nextSibling);
      wireOlder();
    }
    more.textContent = 'Load older images';
    more.href = address('cursor=' + encodeURIComponent(next));
  }

  var newer = document.getElementById('load-newer');
  function setNewer() {
    if (atTop) {
      if (newer) { newer.parentNode.remove(); newer = null; }
      return;
    }
    if (!newer) {
      var p = document.createElement('p');
      p.id = 'newer';
      newer = document.createElement('a');
      newer.id = 'load-newer';
      newer.className = 'button';
      p.appendChild(newer);
      gallery.parentNode.insertBefore(p, gallery);
      newer.addEventListener('click', loadNewer);
    }
    if (above.length) {
      newer.textContent = 'Show newer images';
      newer.href = address(above[above.length - 1].start);
    } else {
      newer.textContent = 'Back to the newest images';
      newer.href = address('');
    }
  }

  function loadOlder(e) {
    if (e) { e.preventDefault(); }
    var last = pages[pages.length - 1];
    if (loading || !last.next) { return; }
    loading = true;
    more.textContent = 'Loading…';
    var start = 'cursor=' + encodeURIComponent(last.next);
    fetchPage(start).then(function (page) {
      page.cards.forEach(function (c) {
        if (!gallery.querySelector(':scope > li.card[data-id="' + c.getAttribute('data-id') + '"]')) { gallery.appendChild(c); }
      });
      pages.push({ start: page.start, next: page.next });
      while (pages.length > MaxPages) {
        var gone = pages.shift();
        pageCards(gone).forEach(function (c) { c.remove(); });
        above.push(gone);
        atTop = false;
      }
      reheader();
      setOlder(page.next);
      setNewer();
      announce(page.cards.length === 1 ? '1 older image loaded.' : page.cards.length + ' older images loaded.');
    }).catch(function () {
      if (more) { more.textContent = 'Could not load more images; try again'; }
    }).then(function () { loading = false; });
  }

  function loadNewer(e) {
    if (!above.length) { return; } // plain navigation to the newest images
    e.preventDefault();
    if (loading) { return; }
    loading = true;
    var target = above[above.length - 1];
    fetchPage(target.start).then(function (page) {
      above.pop();
      var first = gallery.querySelector(':scope > li');
      page.cards.forEach(function (c) {
        if (!gallery.querySelector(':scope > li.card[data-id="' + c.getAttribute('data-id') + '"]')) { gallery.insertBefore(c, first); }
      });
      pages.unshift({ start: page.start, next: page.next });
      while (pages.length > MaxPages) {
        pageCards(pages.pop()).forEach(function (c) { c.remove(); });
      }
      atTop = above.length === 0 && pages[0].start === '';
      reheader();
      setOlder(pages[pages.length - 1].next);
      setNewer();
      announce(page.cards.length === 1 ? '1 newer image loaded.' : page.cards.length + ' newer images loaded.');
    }).catch(function () {
      if (newer) { newer.textContent = 'Could not load newer images; try again'; }
    }).then(function () { loading = false; });
  }

  function wireOlder() {
    if (!more) { return; }
    more.addEventListener('click', loadOlder);
    if ('IntersectionObserver' in window) {
      // Reaching the end of what is loaded loads the next page, as a person scrolling expects.
      // Only once the person has scrolled: a short first screen must not page through the whole library by itself.
      new IntersectionObserver(function (entries) {
        if (scrolled && entries.some(function (x) { return x.isIntersecting; })) { loadOlder(); }
      }, { rootMargin: '600px 0px' }).observe(more);
    }
  }
  wireOlder();
  if (newer) { newer.addEventListener('click', loadNewer); }

  // The place in the address: the page of the first card in view, and that card in the history entry.
  function topCard() {
    var list = cards();
    for (var i = 0; i < list.length; i++) {
      if (list[i].getBoundingClientRect().bottom > 0) { return list[i]; }
    }
    return null;
  }
  function remember(card) {
    if (!card) { return; }
    history.replaceState({ at: card.getAttribute('data-id') }, '', address(card.getAttribute('data-start') || ''));
  }
  var placeTimer = 0;
  window.addEventListener('scroll', function () {
    clearTimeout(placeTimer);
    placeTimer = setTimeout(function () {
      var card = topCard();
      // Above the gallery (the upload box, the filters) the place is the gallery's first page.
      if (card && gallery.getBoundingClientRect().top < 0) { remember(card); }
    }, 250);
  }, { passive: true });
  gallery.addEventListener('click', function (e) {
    var card = e.target.closest && e.target.closest('li.card');
    if (card) { remember(card); }
  }, true);

  // Back or reload: the card last opened or in view, in view again and focused (without a scroll of its own).
  if ('scrollRestoration' in history) { history.scrollRestoration = 'manual'; }
  var state = history.state;
  if (state && state.at) {
    var back = gallery.querySelector(':scope > li.card[data-id="' + state.at + '"]');
    if (back) {
      back.scrollIntoView({ block: 'center' });
      var link = back.querySelector('a');
      if (link) { link.focus({ preventScroll: true }); }
    }
  }

  // The jump: the month's first page in place of the gallery, the address naming it, focus on its first card.
  var jump = document.getElementById('jump');
  if (jump) {
    jump.addEventListener('submit', function (e) {
      var month = document.getElementById('jump-month').value;
      if (!/^\d{4}-\d{2}$/.test(month) || loading) { return; }
      e.preventDefault();
      loading = true;
      var start = 'month=' + month;
      fetchPage(start).then(function (page) {
        Array.prototype.forEach.call(gallery.querySelectorAll(':scope > li'), function (li) { li.remove(); });
        page.cards.forEach(function (c) { gallery.appendChild(c); });
        pages = [{ start: start, next: page.next }];
        above = [];
        atTop = false;
        reheader();
        setOlder(page.next);
        setNewer();
        history.pushState({ at: page.cards.length ? page.cards[0].getAttribute('data-id') : null }, '', address(start));
        var first = gallery.querySelector(':scope > li.card a');
        if (first) {
          gallery.scrollIntoView({ block: 'start' });
          first.focus({ preventScroll: true });
        }
        announce(monthTitles[month] ? 'Showing ' + monthTitles[month] + '.' : 'Showing ' + month + '.');
      }).catch(function () {
        // The plain form still works: let the browser ask for the page.
        jump.submit();
      }).then(function () { loading = false; });
    });
  }
  // Back or forward across a jump: the address names the place; the server renders it.
  window.addEventListener('popstate', function () { window.location.reload(); });

  var token = gallery.getAttribute('data-changes-token');
  if (!token) { return; }
  var pollMs = 3000;
  var timer = 0;
  var busy = false;

  // Where a new card goes by its date: before the first loaded card that sorts after it, at the top when it is the
  // newest and the top is loaded, at the end when the last page is loaded; null when its place is not loaded.
  function placeFor(card) {
    var key = card.getAttribute('data-sort') || '';
    var list = cards();
    for (var i = 0; i < list.length; i++) {
      // Ties: the new record was written last, and the store puts the latest write first among equal dates.
      if ((list[i].getAttribute('data-sort') || '') <= key) {
        return i === 0 && !atTop ? null : list[i];
      }
    }
    return pages[pages.length - 1].next ? null : 'end';
  }

  function apply(doc) {
    var changes = doc.getElementById('changes');
    token = changes.getAttribute('data-next') || token;
    var deleted = (changes.getAttribute('data-deleted') || '').split(' ').filter(Boolean);
    deleted.forEach(function (id) {
      var gone = gallery.querySelector(':scope > li.card[data-id="' + id + '"]');
      if (gone) { gone.remove(); }
    });
    var added = 0;
    var elsewhere = 0;
    Array.prototype.forEach.call(doc.querySelectorAll('#changed-cards > li'), function (card) {
      var adopted = document.importNode(card, true);
      var id = card.getAttribute('data-id');
      var old = gallery.querySelector(':scope > li.card[data-id="' + id + '"]');
      if (old) {
        adopted.setAttribute('data-start', old.getAttribute('data-start') || '');
        gallery.replaceChild(adopted, old);
        return;
      }
      var place = placeFor(adopted);
      if (place === null) { elsewhere++; return; }
      var list = cards();
      adopted.setAttribute('data-start', place === 'end' ? (list.length ? list[list.length - 1].getAttribute('data-start') : '') : place.getAttribute('data-start'));
      if (place === 'end') { gallery.appendChild(adopted); } else { gallery.insertBefore(adopted, place); }
      added++;
    });
    if (added || deleted.length) { reheader(); }
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
    if (added > 0 || deleted.length > 0 || elsewhere > 0) {
      var empty = document.getElementById('gallery-empty');
      if (empty && cards().length > 0) { empty.remove(); }
      var parts = [];
      if (added) { parts.push(added === 1 ? '1 new image' : added + ' new images'); }
      if (elsewhere) { parts.push((elsewhere === 1 ? '1 new image' : elsewhere + ' new images') + ' placed by date taken outside the loaded months'); }
      if (deleted.length) { parts.push(deleted.length === 1 ? '1 image removed' : deleted.length + ' images removed'); }
      announce(parts.join(', ') + '.');
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
