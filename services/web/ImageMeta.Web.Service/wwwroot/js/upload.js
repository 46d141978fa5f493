// Upload: pick or drop files; each one is checked against the limit, sent with its own progress bar, then
// polled until it is stored or failed. No inline script (the CSP forbids it): this file is the whole behaviour.
(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  if (!form) { return; }
  var input = document.getElementById('file-input');
  var zone = document.getElementById('drop-zone');
  var list = document.getElementById('upload-list');
  var problem = document.getElementById('upload-problem');
  var maxBytes = Number(form.getAttribute('data-max-bytes'));
  var maxText = form.getAttribute('data-max-text');
  var token = form.querySelector('input[name="__RequestVerificationToken"]').value;
  var pollMs = 1000;

  function humanBytes(n) {
    var units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : (n < 10 ? n.toFixed(1) : String(Math.round(n)))) + ' ' + units[i];
  }

  function showProblem(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  // One list entry per file; textContent everywhere, so a file name is never read as markup.
  function entry(file) {
    var li = document.createElement('li');
    li.className = 'upload';
    var name = document.createElement('span');
    name.className = 'file-name';
    name.textContent = file.name;
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', 'Upload progress of ' + file.name);
    var stage = document.createElement('span');
    stage.className = 'stage';
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(stage);
    list.appendChild(li);
    return { li: li, bar: bar, stage: stage };
  }

  function setStage(view, stage, sentence) {
    view.li.setAttribute('data-stage', stage);
    view.stage.textContent = sentence || stage;
  }

  function link(view, href, text) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    view.li.appendChild(document.createTextNode(' '));
    view.li.appendChild(a);
  }

  function problemText(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.detail) { return body.detail; }
    } catch (e) { /* not JSON */ }
    if (xhr.status === 401) { return 'Your sign-in has expired; reload the page to sign in again.'; }
    return 'The upload failed (' + (xhr.status || 'no answer') + ').';
  }

  function poll(view, answer) {
    fetch(answer.statusUrl, { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) {
          setStage(view, 'waiting', (result.body.detail || 'The status is not available right now.') + ' Trying again.');
          setTimeout(function () { poll(view, answer); }, pollMs * 3);
          return;
        }
        var s = result.body;
        setStage(view, s.stage, s.sentence);
        if (s.stage === 'failed' && s.failureClass) { view.li.setAttribute('data-class', s.failureClass); }
        if (s.done) {
          link(view, answer.detailUrl, 'Details of ' + answer.name);
        } else {
          setTimeout(function () { poll(view, answer); }, pollMs);
        }
      })
      .catch(function () {
        setStage(view, 'waiting', 'The web app is not answering; trying again.');
        setTimeout(function () { poll(view, answer); }, pollMs * 3);
      });
  }

  function send(file, view) {
    var body = new FormData();
    body.append('file', file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('RequestVerificationToken', token);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var percent = Math.round(100 * e.loaded / e.total);
        view.bar.value = percent;
        setStage(view, 'uploading', 'Uploading: ' + percent + ' %');
      }
    };
    xhr.onload = function () {
      if (xhr.status === 202) {
        var answer = JSON.parse(xhr.responseText);
        view.bar.value = 100;
        view.li.setAttribute('data-id', answer.id);
        setStage(view, 'queued', 'Uploaded; waiting for processing to start.');
        poll(view, answer);
        return;
      }
      var retryAfter = Number(xhr.getResponseHeader('Retry-After'));
      if (xhr.status === 503 && retryAfter > 0) {
        // Ingest's upload memory is full for now: it names when to come back.
        setStage(view, 'waiting', 'The pipeline is busy; sending again in ' + retryAfter + ' s.');
        setTimeout(function () { send(file, view); }, retryAfter * 1000);
        return;
      }
      setStage(view, 'refused', problemText(xhr));
      if (xhr.status === 503) { showProblem(problemText(xhr)); }
    };
    xhr.onerror = function () {
      setStage(view, 'refused', 'The web app could not be reached.');
    };
    setStage(view, 'uploading', 'Uploading: 0 %');
    xhr.send(body);
  }

  function accept(files) {
    showProblem('');
    Array.prototype.forEach.call(files, function (file) {
      var view = entry(file);
      if (file.size > maxBytes) {
        setStage(view, 'refused', file.name + ' is ' + humanBytes(file.size) + '; the limit is ' + maxText + ', so it was not sent.');
        view.bar.hidden = true;
        return;
      }
      if (file.size === 0) {
        setStage(view, 'refused', file.name + ' is empty, so it was not sent.');
        view.bar.hidden = true;
        return;
      }
      send(file, view);
    });
  }

  input.addEventListener('change', function () {
    accept(input.files);
    input.value = '';
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', function () { zone.classList.remove('dragging'); });
  zone.addEventListener('drop', function (e) {
    e.preventDefault();
    zone.classList.remove('dragging');
    if (e.dataTransfer && e.dataTransfer.files) { accept(e.dataTransfer.files); }
  });
}());
