// The map page: every geotagged image, asked for by the box in view (/api/positions) each time the map stops moving
// (debounced; an older answer arriving late is dropped). Up to the store's limit the answer is points, which the
// cluster plugin groups; beyond it the store's own clusters are shown as numbered circles and a sentence says so.
// The view (lat, lon, zoom) is kept in the address, so Back and reload return to it.
(function () {
  'use strict';
  var element = document.getElementById('map');
  if (!element || !window.L) { return; }
  var status = document.getElementById('map-status');
  var params = new URLSearchParams(window.location.search);
  var lat = Number(params.get('lat')), lon = Number(params.get('lon')), zoom = Number(params.get('z'));
  var placed = params.has('lat') && params.has('lon') && isFinite(lat) && isFinite(lon);
  var map = L.map(element, { worldCopyJump: true, minZoom: 1 }).setView(placed ? [lat, lon] : [20, 0], placed && zoom > 0 ? zoom : 2);
  window.imagemetaTiles(element, map);
  var points = L.markerClusterGroup({ showCoverageOnHover: false });
  var groups = L.layerGroup();
  map.addLayer(points);
  map.addLayer(groups);
  var asked = 0;
  var fitted = placed;
  var timer = 0;

  function popup(id) {
    var box = document.createElement('div');
    var link = document.createElement('a');
    link.href = '/images/' + encodeURIComponent(id);
    var img = document.createElement('img');
    img.src = '/thumbnails/' + encodeURIComponent(id);
    img.alt = 'Thumbnail of the photo';
    img.width = 160;
    // Records without a thumbnail yet: say so instead of a broken picture.
    img.addEventListener('error', function () { img.replaceWith(document.createTextNode('No preview yet.')); });
    link.appendChild(img);
    var words = document.createElement('span');
    words.textContent = 'Open the photo';
    link.appendChild(words);
    box.appendChild(link);
    box.className = 'map-popup';
    return box;
  }

  function show(answer) {
    points.clearLayers();
    groups.clearLayers();
    var markers = answer.points.map(function (p) {
      // Made when opened: a thumbnail is asked for only for the photo a person picks.
      return L.marker([p.lat, p.lon], { alt: 'Photo', title: 'Photo', keyboard: true }).bindPopup(function () { return popup(p.id); });
    });
    points.addLayers(markers);
    answer.clusters.forEach(function (c) {
      var size = c.count < 100 ? 'small' : c.count < 1000 ? 'medium' : 'large';
      var icon = L.divIcon({ html: '<div><span>' + Number(c.count) + '</span></div>', className: 'marker-cluster marker-cluster-' + size, iconSize: L.point(40, 40) });
      var group = L.marker([c.lat, c.lon], { icon: icon, title: c.count + ' photos: zoom in', keyboard: true });
      group.on('click', function () { map.setView([c.lat, c.lon], Math.min(map.getZoom() + 3, map.getMaxZoom())); });
      groups.addLayer(group);
    });
    if (answer.total === 0) {
      status.textContent = 'No geotagged images in this part of the map.';
    } else if (answer.clusters.length > 0) {
      status.textContent = answer.total + ' geotagged images here, more than the map shows one by one (' +
        element.getAttribute('data-limit') + '): they are shown in groups; zoom in to see each photo.';
    } else {
      status.textContent = answer.total === 1 ? '1 geotagged image here.' : answer.total + ' geotagged images here.';
    }
    if (!fitted && markers.length > 0) {
      // The first answer for the whole world: show where the photos are.
      fitted = true;
      map.fitBounds(L.featureGroup(markers).getBounds(), { maxZoom: 14, padding: [30, 30] });
    }
  }

  function ask() {
    var b = map.getBounds();
    var west = Math.max(-180, b.getWest()), east = Math.min(180, b.getEast());
    if (b.getEast() - b.getWest() >= 360) { west = -180; east = 180; }
    var box = [west, Math.max(-90, b.getSouth()), east, Math.min(90, b.getNorth())].map(function (v) { return v.toFixed(5); }).join(',');
    var mine = ++asked;
    var c = map.getCenter();
    history.replaceState(null, '', '/map?lat=' + c.lat.toFixed(5) + '&lon=' + c.lng.toFixed(5) + '&z=' + map.getZoom());
    fetch('/api/positions?bbox=' + box, { credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status === 503 ? 'The image store is not answering, so the map cannot show positions right now.' : 'The positions could not be loaded.'); }
        return r.json();
      })
      .then(function (answer) { if (mine === asked) { show(answer); } })
      .catch(function (e) { if (mine === asked) { status.textContent = e.message; } });
  }

  map.on('moveend', function () { clearTimeout(timer); timer = setTimeout(ask, 300); });
  ask();
}());
