// The detail page's "Copy link": the page's own address without the upload's trace id, on the clipboard, and a
// sentence saying so (or saying why not: the clipboard needs a secure context and the person's permission).
(function () {
  'use strict';
  var button = document.getElementById('copy-link');
  if (!button) { return; }
  var result = document.getElementById('copy-result');
  button.addEventListener('click', function () {
    var link = new URL(button.getAttribute('data-link'), window.location.href).href;
    if (!navigator.clipboard) {
      result.textContent = 'This browser gives no clipboard here; the link is ' + link;
      return;
    }
    navigator.clipboard.writeText(link).then(
      function () { result.textContent = 'Link copied.'; },
      function () { result.textContent = 'The link could not be copied; it is ' + link; });
  });
}());
