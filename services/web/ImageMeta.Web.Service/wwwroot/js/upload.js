// Upload: pick or drop files; each one is checked against the limit, sent with its own progress bar (cancel while it
// is sent, retry when sending failed), then polled until it is stored or failed. Above the list, one line counts
// them all ("28 of 30 stored, 2 failed") with one bar for every byte sent; the list folds away under it when a
// batch is long, and opens on demand. While bytes are in flight, leaving the page asks first.
// No inline script (the CSP forbids it): this file is the whole behaviour.
(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  if (!form) { return; }
  var input = document.getElementById('file-input');
  var zone = document.getElementById('drop-zone');
  var list = document.getElementById('upload-list');
  var box = document.getElementById('uploads');
  var summary = document.getElementById('upload-summary');
  var overall = document.getElementById('upload-overall');
  var problem = document.getElementById('upload-problem');
  var maxBytes = Number(form.getAttribute('data-max-bytes'));
  var maxText = form.getAttribute('data-max-text');
  var token = form.querySelector('input[name="__RequestVerificationToken"]').value;
  var pollMs = 1000;
  // Up to this many files the list stays open; a longer batch shows only its summary until asked.
  var openUpTo = 4;
  var uploads = [];
  var personToggled = false;

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

  function inFlight() {
    return uploads.some(function (u) { return u.xhr !== null; });
  }

  // The one line over the list and the bar of all bytes sent.
  function summarize() {
    var counts = { stored: 0, failed: 0, canceled: 0, active: 0 };
    var sent = 0;
    var total = 0;
    uploads.forEach(function (u) {
      var stage = u.view.li.getAttribute('data-stage');
      if (stage === 'stored') { counts.stored++; } else if (stage === 'failed' || stage === 'refused') { counts.failed++; } else if (stage === 'canceled') { counts.canceled++; } else { counts.active++; }
      if (u.sendable) { sent += u.loaded; total += u.file.size; }
    });
    var parts = [counts.stored + ' of ' + uploads.length + ' stored'];
    if (counts.failed) { parts.push(counts.failed + ' failed'); }
    if (counts.canceled) { parts.push(counts.canceled + ' canceled'); }
    if (counts.active) { parts.push(counts.active + ' in progress'); }
    summary.textContent = parts.join(', ');
    overall.value = total > 0 ? Math.round(100 * sent / total) : 100;
    box.setAttribute('data-active', String(counts.active));
  }

  function setStage(u, stage, sentence) {
    u.view.li.setAttribute('data-stage', stage);
    u.view.stage.textContent = sentence || stage;
    summarize();
  }

  function button(text, label, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'small';
    b.textContent = text;
    b.setAttribute('aria-label', label);
    b.addEventListener('click', onClick);
    return b;
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
    var actions = document.createElement('span');
    actions.className = 'upload-actions';
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(stage);
    li.appendChild(actions);
    list.appendChild(li);
    return { li: li, bar: bar, stage: stage, actions: actions };
  }

  function setActions(u, buttons) {
    u.view.actions.textContent = '';
    buttons.forEach(function (b) { u.view.actions.appendChild(b); });
  }

  function cancelButton(u) {
    return button('Cancel', 'Cancel the upload of ' + u.file.name, function () { cancel(u); });
  }

  function retryButton(u) {
    return button('Retry', 'Retry ' + u.file.name, function () { send(u); });
  }

  function link(u, href, text) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    u.view.actions.appendChild(a);
  }

  function problemText(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.detail) { return body.detail; }
    } catch (e) { /* not JSON */ }
    if (xhr.status === 401) { return 'Your sign-in has expired; reload the page to sign in again.'; }
    return 'The upload failed (' + (xhr.status || 'no answer') + ').';
  }

  function poll(u, answer) {
    fetch(answer.statusUrl, { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) {
          setStage(u, 'waiting', (result.body.detail || 'The status is not available right now.') + ' Trying again.');
          u.timer = setTimeout(function () { poll(u, answer); }, pollMs * 3);
          return;
        }
        var s = result.body;
        var known = answer.workflow === 'already-known';
        setStage(u, s.stage, (known ? 'Already in the library: ' : '') + s.sentence);
        if (s.stage === 'failed' && s.failureClass) { u.view.li.setAttribute('data-class', s.failureClass); }
        if (s.done) {
          setActions(u, []);
          link(u, answer.detailUrl, 'Details of ' + answer.name);
          document.dispatchEvent(new CustomEvent('imagemeta:upload-done', { detail: { id: answer.id } }));
        } else {
          u.timer = setTimeout(function () { poll(u, answer); }, pollMs);
        }
      })
      .catch(function () {
        setStage(u, 'waiting', 'The web app is not answering; trying again.');
        u.timer = setTimeout(function () { poll(u, answer); }, pollMs * 3);
      });
  }

  function settle(u) {
    u.xhr = null;
    summarize();
  }

  function cancel(u) {
    clearTimeout(u.timer);
    if (u.xhr) {
      var xhr = u.xhr;
      u.xhr = null;
      xhr.abort();
    }
    u.loaded = 0;
    u.view.bar.value = 0;
    setActions(u, [retryButton(u)]);
    setStage(u, 'canceled', 'Canceled: ' + u.file.name + ' was not stored.');
  }

  function send(u) {
    clearTimeout(u.timer);
    var body = new FormData();
    body.append('file', u.file, u.file.name);
    var xhr = new XMLHttpRequest();
    u.xhr = xhr;
    u.loaded = 0;
    u.view.bar.value = 0;
    xhr.open('POST', form.action);
    xhr.setRequestHeader('RequestVerificationToken', token);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable && u.xhr === xhr) {
        var percent = Math.round(100 * e.loaded / e.total);
        u.loaded = Math.min(u.file.size, e.loaded);
        u.view.bar.value = percent;
        setStage(u, 'uploading', 'Uploading: ' + percent + ' %');
      }
    };
    xhr.onload = function () {
      if (u.xhr !== xhr) { return; }
      settle(u);
      if (xhr.status === 202) {
        var answer = JSON.parse(xhr.responseText);
        u.loaded = u.file.size;
        u.view.bar.value = 100;
        u.view.li.setAttribute('data-id', answer.id);
        if (answer.workflow === 'already-known') { u.view.li.setAttribute('data-known', 'true'); }
        setActions(u, []);
        setStage(u, 'queued', answer.workflow === 'already-known' ? 'Already in the library; looking it up.' : 'Uploaded; waiting for processing to start.');
        poll(u, answer);
        return;
      }
      var retryAfter = Number(xhr.getResponseHeader('Retry-After'));
      if (xhr.status === 503 && retryAfter > 0) {
        // Ingest's upload memory is full for now: it names when to come back.
        setStage(u, 'waiting', 'The pipeline is busy; sending again in ' + retryAfter + ' s.');
        setActions(u, [cancelButton(u)]);
        u.timer = setTimeout(function () { send(u); }, retryAfter * 1000);
        return;
      }
      u.view.bar.value = 100;
      setActions(u, xhr.status === 400 || xhr.status === 413 ? [] : [retryButton(u)]);
      setStage(u, 'refused', problemText(xhr));
      if (xhr.status === 503) { showProblem(problemText(xhr)); }
    };
    xhr.onerror = function () {
      if (u.xhr !== xhr) { return; }
      settle(u);
      u.view.bar.value = 100;
      setActions(u, [retryButton(u)]);
      setStage(u, 'refused', 'The web app could not be reached.');
    };
    setActions(u, [cancelButton(u)]);
    setStage(u, 'uploading', 'Uploading: 0 %');
    xhr.send(body);
  }

  function add(files) {
    showProblem('');
    box.hidden = false;
    Array.prototype.forEach.call(files, function (file) {
      var u = { file: file, view: entry(file), xhr: null, loaded: 0, timer: 0, sendable: true };
      uploads.push(u);
      if (file.size > maxBytes) {
        u.sendable = false;
        u.view.bar.hidden = true;
        setStage(u, 'refused', file.name + ' is ' + humanBytes(file.size) + '; the limit is ' + maxText + ', so it was not sent.');
        return;
      }
      if (file.size === 0) {
        u.sendable = false;
        u.view.bar.hidden = true;
        setStage(u, 'refused', file.name + ' is empty, so it was not sent.');
        return;
      }
      send(u);
    });
    if (!personToggled) { box.open = uploads.length <= openUpTo; }
    summarize();
  }

  box.querySelector('summary').addEventListener('click', function () { personToggled = true; });
  window.addEventListener('beforeunload', function (e) {
    if (inFlight()) {
      e.preventDefault();
      e.returnValue = '';
    }
  });
  input.addEventListener('change', function () {
    add(input.files);
    input.value = '';
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', function () { zone.classList.remove('dragging'); });
  zone.addEventListener('drop', function (e) {
    e.preventDefault();
    zone.classList.remove('dragging');
    if (e.dataTransfer && e.dataTransfer.files) { add(e.dataTransfer.files); }
  });
}());
