// The viewer: a modal dialog over the page that shows an image's 1600 px preview, opened from a gallery card (the
// gallery's order is its order: previous and next, the ← and → keys, a swipe on touch) or from the detail page's
// picture. Escape or Close shuts it and gives focus back to what opened it; Tab stays inside it while open. Where
// the browser shows the original itself (data-original), "Zoom to the original" swaps in the original at its own
// size, to be scrolled. Without this script every card is a plain link to its detail page.
(function () {
  'use strict';
  var gallery = document.getElementById('gallery');
  var single = document.querySelector('[data-viewer-single]');
  if (!gallery && !single) { return; }

  var dialog, title, position, image, stage, details, zoom, prev, next, closeButton;
  var items = [];
  var index = 0;
  var opener = null;
  var zoomed = false;
  var swipeStart = null;

  function element(tag, attributes, text) {
    var e = document.createElement(tag);
    Object.keys(attributes).forEach(function (k) { e.setAttribute(k, attributes[k]); });
    if (text) { e.textContent = text; }
    return e;
  }

  function build() {
    dialog = element('dialog', { id: 'viewer', 'class': 'viewer', 'aria-labelledby': 'viewer-title' });
    var bar = element('div', { 'class': 'viewer-bar' });
    title = element('h2', { id: 'viewer-title' });
    position = element('span', { id: 'viewer-position' });
    details = element('a', { id: 'viewer-details' }, 'Details');
    zoom = element('button', { id: 'viewer-zoom', type: 'button' }, 'Zoom to the original');
    closeButton = element('button', { id: 'viewer-close', type: 'button' }, 'Close');
    bar.appendChild(title);
    bar.appendChild(position);
    bar.appendChild(details);
    bar.appendChild(zoom);
    bar.appendChild(closeButton);
    stage = element('div', { 'class': 'viewer-stage', id: 'viewer-stage' });
    image = element('img', { id: 'viewer-image', alt: '' });
    stage.appendChild(image);
    var nav = element('div', { 'class': 'viewer-nav' });
    prev = element('button', { id: 'viewer-prev', type: 'button' }, 'Previous');
    next = element('button', { id: 'viewer-next', type: 'button' }, 'Next');
    nav.appendChild(prev);
    nav.appendChild(next);
    dialog.appendChild(bar);
    dialog.appendChild(stage);
    dialog.appendChild(nav);
    document.body.appendChild(dialog);

    closeButton.addEventListener('click', function () { dialog.close(); });
    prev.addEventListener('click', function () { go(-1); });
    next.addEventListener('click', function () { go(1); });
    zoom.addEventListener('click', function () { setZoom(!zoomed); });
    dialog.addEventListener('close', function () {
      image.removeAttribute('src');
      if (opener && document.contains(opener)) { opener.focus(); }
    });
    dialog.addEventListener('keydown', keys);
    stage.addEventListener('pointerdown', function (e) {
      if (e.pointerType === 'touch') { swipeStart = { x: e.clientX, y: e.clientY }; }
    });
    stage.addEventListener('pointerup', function (e) {
      if (!swipeStart || e.pointerType !== 'touch') { return; }
      var dx = e.clientX - swipeStart.x;
      var dy = e.clientY - swipeStart.y;
      swipeStart = null;
      // A sideways swipe of at least 50 px that is more sideways than up or down; a zoomed original scrolls instead.
      if (!zoomed && Math.abs(dx) >= 50 && Math.abs(dx) > Math.abs(dy)) { go(dx < 0 ? 1 : -1); }
    });
  }

  function focusable() {
    return Array.prototype.filter.call(dialog.querySelectorAll('a[href], button'), function (e) { return !e.disabled && !e.hidden; });
  }

  function keys(e) {
    if (e.key === 'ArrowRight') { e.preventDefault(); go(1); } else if (e.key === 'ArrowLeft') { e.preventDefault(); go(-1); } else if (e.key === 'Tab') {
      // The modal dialog makes the page inert; this keeps Tab from leaving for the browser's own controls too.
      var list = focusable();
      var first = list[0];
      var last = list[list.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); } else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  }

  function setZoom(on) {
    var item = items[index];
    zoomed = on && !!item.original;
    dialog.classList.toggle('zoomed', zoomed);
    zoom.textContent = zoomed ? 'Fit to the screen' : 'Zoom to the original';
    zoom.setAttribute('aria-pressed', String(zoomed));
    image.src = zoomed ? item.original : item.view;
    if (zoomed) {
      image.removeAttribute('width');
      image.removeAttribute('height');
    } else {
      image.width = item.width;
      image.height = item.height;
    }
  }

  function show(i) {
    index = i;
    var item = items[i];
    title.textContent = item.name;
    position.textContent = items.length > 1 ? (i + 1) + ' of ' + items.length : '';
    position.hidden = items.length < 2;
    details.href = item.detail;
    details.setAttribute('aria-label', 'Details of ' + item.name);
    details.hidden = !item.detail;
    image.alt = 'Preview of ' + item.name;
    zoom.hidden = !item.original;
    prev.hidden = next.hidden = items.length < 2;
    prev.disabled = i === 0;
    next.disabled = i === items.length - 1;
    dialog.setAttribute('data-id', item.id);
    setZoom(false);
    // The neighbour the person is likely to want next is fetched now, so it shows at once.
    if (items[i + 1]) { new Image().src = items[i + 1].view; }
  }

  function go(step) {
    var target = index + step;
    if (target < 0 || target >= items.length) { return; }
    var had = document.activeElement;
    show(target);
    // Focus must not rest on a button that just became disabled (it would fall out of the dialog).
    if (had && had.disabled) { (had === prev ? next : prev).focus(); }
  }

  function fromCard(card) {
    return {
      id: card.getAttribute('data-id'),
      name: card.getAttribute('data-name'),
      view: card.getAttribute('data-view'),
      width: Number(card.getAttribute('data-view-width')),
      height: Number(card.getAttribute('data-view-height')),
      original: card.getAttribute('data-original') || null,
      detail: card.getAttribute('data-detail') || (card.querySelector('a.card-link') ? card.querySelector('a.card-link').getAttribute('href') : null),
    };
  }

  function open(list, i, from) {
    if (!dialog) { build(); }
    items = list;
    opener = from;
    show(i);
    dialog.showModal();
    closeButton.focus();
  }

  if (gallery) {
    gallery.addEventListener('click', function (e) {
      var link = e.target.closest('a.card-link');
      if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) { return; }
      var card = link.closest('li.card');
      if (!card.getAttribute('data-view')) { return; }
      e.preventDefault();
      // The gallery as it is now (live cards and loaded pages included), in its order.
      var cards = Array.prototype.filter.call(gallery.querySelectorAll(':scope > li.card'), function (c) { return c.getAttribute('data-view'); });
      open(cards.map(fromCard), cards.indexOf(card), link);
    });
  }

  if (single) {
    var button = document.getElementById('open-viewer');
    button.addEventListener('click', function () { open([fromCard(single)], 0, button); });
  }
}());
