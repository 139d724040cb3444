// The task list: GET /api/jobs for the rows, server-sent events from /ui/events to follow
// them live, DELETE /api/jobs/<id>?type=<type> to cancel. Rows are built with textContent
// only (ids are data).
(function () {
  'use strict';
  var tbody = document.getElementById('tasks');
  var fType = document.getElementById('filter-type');
  var fState = document.getElementById('filter-state');
  var fLimit = document.getElementById('filter-limit');
  var msg = document.getElementById('msg');
  var empty = document.getElementById('empty');
  var live = document.getElementById('live');
  var rows = new Map();
  var generation = 0;
  // Events that arrive while the list loads, applied once it is drawn.
  var held = null;

  var query = new URLSearchParams(location.search);
  function preset(sel, value) {
    if (value && Array.prototype.some.call(sel.options, function (o) { return o.value === value; })) {
      sel.value = value;
    }
  }
  preset(fType, query.get('type'));
  preset(fState, query.get('state'));
  preset(fLimit, query.get('limit'));

  function show(text) {
    msg.textContent = text || '';
    msg.hidden = !text;
  }
  function problem(body) {
    return body && body.info && body.info.message ? body.info.message : 'the request failed';
  }
  function matches(t) {
    return (!fType.value || t.type === fType.value) && (!fState.value || t.task_state === fState.value);
  }
  function age(iso) {
    var at = Date.parse(iso);
    if (isNaN(at)) { return ''; }
    var s = Math.max(0, (Date.now() - at) / 1000);
    if (s < 60) { return Math.floor(s) + ' s'; }
    if (s < 3600) { return Math.floor(s / 60) + ' min'; }
    if (s < 86400) { return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min'; }
    return Math.floor(s / 86400) + ' d';
  }
  function duration(ms) {
    if (ms === undefined || ms === null) { return ''; }
    return ms < 1000 ? ms.toFixed(ms < 10 ? 2 : 1) + ' ms' : (ms / 1000).toFixed(2) + ' s';
  }
  function cell(tr, content) {
    var td = document.createElement('td');
    if (typeof content === 'string') { td.textContent = content; } else if (content) { td.appendChild(content); }
    tr.appendChild(td);
    return td;
  }
  function updateEmpty() {
    empty.hidden = tbody.rows.length > 0;
  }
  function limit() {
    return parseInt(fLimit.value, 10) || 100;
  }

  // A task as the list has it: {task_id, type, task_state (PENDING|SUCCESS|FAILURE), stage?,
  // attempt, submitted_at?, finished_at?, time_ms?, code?, at?}.
  function render(t) {
    var known = rows.get(t.task_id);
    var tr = known ? known.tr : document.createElement('tr');
    tr.textContent = '';
    tr.setAttribute('data-task', t.task_id);
    tr.setAttribute('data-state', t.task_state);
    tr.setAttribute('data-type', t.type || '');
    if (t.task_state === 'PENDING') {
      tr.setAttribute('data-stage', t.stage || 'queued');
    } else {
      tr.removeAttribute('data-stage');
    }
    var a = document.createElement('a');
    a.href = '/ui/task/' + encodeURIComponent(t.task_id);
    a.textContent = t.task_id;
    cell(tr, a).className = 'mono';
    cell(tr, t.type || '');
    var badge = document.createElement('span');
    badge.className = 'state s-' + String(t.task_state).toLowerCase();
    badge.textContent = t.task_state + (t.task_state === 'PENDING' ? ' (' + (t.stage || 'queued') + ')' : '') +
      (t.code ? ' ' + t.code : '');
    cell(tr, badge);
    var since = t.submitted_at || t.at || '';
    var ageCell = cell(tr, age(since));
    ageCell.className = 'age';
    ageCell.setAttribute('data-since', since);
    if (!t.submitted_at && since) { ageCell.title = 'since the first event seen'; }
    cell(tr, duration(t.time_ms));
    cell(tr, t.attempt === undefined || t.attempt === null ? '' : String(t.attempt));
    var actions = cell(tr, '');
    if (t.task_state === 'PENDING') {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'cancel';
      b.textContent = 'Cancel';
      b.addEventListener('click', function () { cancel(t.task_id, t.type, b); });
      actions.appendChild(b);
    }
    rows.set(t.task_id, {tr: tr, task: t});
    return tr;
  }
  function place(t, flash) {
    var known = rows.get(t.task_id);
    if (!matches(t)) {
      if (known) {
        known.tr.parentNode.removeChild(known.tr);
        rows.delete(t.task_id);
      }
      updateEmpty();
      return;
    }
    var tr = render(t);
    if (!known) { tbody.insertBefore(tr, tbody.firstChild); }
    while (tbody.rows.length > limit()) {
      var last = tbody.rows[tbody.rows.length - 1];
      rows.delete(last.getAttribute('data-task'));
      tbody.removeChild(last);
    }
    if (flash) {
      tr.classList.add('flash');
      setTimeout(function () { tr.classList.remove('flash'); }, 1500);
    }
    updateEmpty();
  }

  function load() {
    var g = ++generation;
    held = held || [];
    var q = new URLSearchParams();
    if (fType.value) { q.set('type', fType.value); }
    if (fState.value) { q.set('state', fState.value); }
    q.set('limit', String(limit()));
    history.replaceState(null, '', '?' + q.toString());
    fetch('/api/jobs?' + q.toString(), {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (r) {
        return r.json().then(function (body) { return {ok: r.ok, body: body}; });
      })
      .then(function (res) {
        if (g !== generation) { return; }
        if (!res.ok || !res.body || res.body.status === false) { show(problem(res.body)); return; }
        show('');
        rows.clear();
        tbody.textContent = '';
        var tasks = (res.body.data && res.body.data.tasks) || [];
        tasks.forEach(function (t) { tbody.appendChild(render(t)); });
        updateEmpty();
      })
      .catch(function (err) {
        if (g === generation) { show('The task list could not be loaded: ' + err.message); }
      })
      .then(function () {
        if (g !== generation || !held) { return; }
        var events = held;
        held = null;
        events.forEach(apply);
      });
  }

  // A FAILURE's code is not in its event: the status document has it.
  function fetchCode(t) {
    var url = '/api/job/check_status?task_id=' + encodeURIComponent(t.task_id) + '&type=' + encodeURIComponent(t.type);
    fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (body) {
      var d = body && body.data;
      var known = rows.get(t.task_id);
      if (d && d.error && d.error.code && known && known.task.task_state === 'FAILURE') {
        known.task.code = d.error.code;
        render(known.task);
      }
    }).catch(function () {});
  }

  function onEvent(ev) {
    var e;
    try { e = JSON.parse(ev.data); } catch (x) { return; }
    if (!e || !e.task_id) { return; }
    if (held) { held.push(e); } else { apply(e); }
  }
  // A completion event: updates or inserts its row. A final state is never undone by a
  // STARTED event that arrives late.
  function apply(e) {
    var known = rows.get(e.task_id);
    if (known && known.task.task_state !== 'PENDING' && e.task_state === 'STARTED') { return; }
    var t = known ? Object.assign({}, known.task) : {task_id: e.task_id, at: e.at};
    t.type = e.type || t.type;
    if (e.task_state === 'STARTED') {
      t.task_state = 'PENDING';
      t.stage = 'running';
    } else {
      t.task_state = e.task_state;
      delete t.stage;
      t.finished_at = e.at;
    }
    if (e.attempt !== undefined) { t.attempt = e.attempt; }
    if (e.time_ms !== undefined) { t.time_ms = e.time_ms; }
    place(t, true);
    if (t.task_state === 'FAILURE' && !t.code && rows.has(t.task_id)) { fetchCode(t); }
  }

  function cancel(id, type, button) {
    button.disabled = true;
    fetch('/api/jobs/' + encodeURIComponent(id) + '?type=' + encodeURIComponent(type || ''),
      {method: 'DELETE', credentials: 'same-origin'})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) { return {ok: r.ok, body: body}; });
      })
      .then(function (res) {
        if (!res.ok || res.body.status === false) {
          show('Cancelling ' + id + ': ' + problem(res.body));
          button.disabled = false;
          return;
        }
        show('');
        var known = rows.get(id);
        if (!known) { return; }
        var d = res.body.data || {};
        var t = Object.assign({}, known.task);
        t.task_state = d.task_state || 'FAILURE';
        delete t.stage;
        if (d.error && d.error.code) { t.code = d.error.code; }
        place(t, true);
      })
      .catch(function (err) {
        show('Cancelling ' + id + ': ' + err.message);
        button.disabled = false;
      });
  }

  function connect() {
    if (!window.EventSource) {
      live.textContent = 'no live updates';
      return;
    }
    var source = new EventSource('/ui/events');
    var lost = false;
    source.addEventListener('open', function () {
      live.textContent = 'live';
      live.className = 'live on';
      if (lost) { load(); }
      lost = false;
    });
    source.addEventListener('error', function () {
      live.textContent = 'reconnecting…';
      live.className = 'live off';
      lost = true;
    });
    source.addEventListener('task', onEvent);
  }

  [fType, fState, fLimit].forEach(function (sel) { sel.addEventListener('change', load); });
  setInterval(function () {
    Array.prototype.forEach.call(tbody.querySelectorAll('td.age'), function (td) {
      td.textContent = age(td.getAttribute('data-since'));
    });
  }, 5000);
  load();
  connect();
}());
