// The tile layer both map pages use, from the page's data-* (Web:MapTiles): the attribution is set as text (and a
// link), never as markup from configuration; tiles ask with the origin as referrer, which tile servers' usage
// policies expect, although the pages' own policy sends none off the site.
(function () {
  'use strict';
  window.imagemetaTiles = function (element, map) {
    var credit = document.createElement('span');
    var url = element.getAttribute('data-attribution-url');
    var text = element.getAttribute('data-attribution') || '';
    if (url) {
      var a = document.createElement('a');
      a.href = url;
      a.rel = 'noopener noreferrer';
      a.textContent = text;
      credit.appendChild(a);
    } else {
      credit.textContent = text;
    }
    map.attributionControl.setPrefix(false);
    return L.tileLayer(element.getAttribute('data-tiles'), {
      maxZoom: Number(element.getAttribute('data-max-zoom')) || 19,
      attribution: credit.innerHTML,
      referrerPolicy: 'strict-origin-when-cross-origin',
      crossOrigin: false
    }).addTo(map);
  };
}());
