// The detail page's small map: one pin where the photo was taken, the tiles of Web:MapTiles.
(function () {
  'use strict';
  var element = document.getElementById('photo-map');
  if (!element || !window.L) { return; }
  var at = [Number(element.getAttribute('data-lat')), Number(element.getAttribute('data-lon'))];
  var map = L.map(element, { scrollWheelZoom: false }).setView(at, 13);
  window.imagemetaTiles(element, map);
  L.marker(at, { alt: 'Where the photo was taken', keyboard: false }).addTo(map);
}());
