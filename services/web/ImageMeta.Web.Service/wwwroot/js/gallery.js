// "Load older images": fetches the next keyset page (the same page with the store's cursor) and appends its
// cards, so the grid grows in place. Without this script the link still works as plain navigation.
(function () {
  'use strict';
  var gallery = document.getElementById('gallery');
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
          if (firstNew) { firstNew.querySelector('a').focus(); }
        })
        .catch(function () { link.textContent = 'Could not load more images; try again'; });
    });
  }

  wire(document.getElementById('load-more'));
}());
