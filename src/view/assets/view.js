// The pages that draw a network: zoom (wheel, buttons) and pan (drag) by the viewBox; labels
// of the nodes in view on large networks; the remainder of a large network fetched from the
// <svg>'s data-rest URL into #rest; the task page's entry, alternative, policy and
// before/after selections (class names as in src/view/decorate.rs).
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var svg = document.getElementById('net');
  var dataEl = document.getElementById('view-data');
  var data = dataEl ? JSON.parse(dataEl.textContent) : {};
  data.entries = data.entries || [];
  data.pol = data.pol || [];
  var state = {entry: 0, util: 'a', alts: {}, policy: -1};
  var nodeMap = null;
  var linkMap = null;

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }
  function byClass(name) {
    return svg ? Array.prototype.slice.call(svg.getElementsByClassName(name)) : [];
  }
  // Takes `to` off every element, then puts it on every element of class `from`.
  function swap(from, to) {
    byClass(to).forEach(function (el) { el.classList.remove(to); });
    if (from) {
      byClass(from).forEach(function (el) { el.classList.add(to); });
    }
  }
  function maps() {
    if (nodeMap) { return; }
    nodeMap = new Map();
    linkMap = new Map();
    all('[data-node]', svg).forEach(function (el) { nodeMap.set(el.getAttribute('data-node'), el); });
    all('[data-link]', svg).forEach(function (el) { linkMap.set(el.getAttribute('data-link'), el); });
  }
  function radius() {
    return parseFloat(svg.getAttribute('data-r')) || 4;
  }

  function sidLabels(e) {
    all('.sidl', svg).forEach(function (t) { t.parentNode.removeChild(t); });
    swap(null, 'sid');
    var entry = data.entries[e];
    if (!entry || !entry.sids) { return; }
    maps();
    var r = radius();
    entry.sids.forEach(function (s) {
      var g = nodeMap.get(s[0]);
      if (!g) { return; }
      g.classList.add('sid');
      var c = g.querySelector('circle');
      var t = document.createElementNS(SVGNS, 'text');
      t.setAttribute('class', 'sidl');
      t.setAttribute('x', c.getAttribute('cx'));
      t.setAttribute('y', (parseFloat(c.getAttribute('cy')) - r * 1.8).toFixed(1));
      t.textContent = s[1];
      g.insertBefore(t, g.querySelector('title'));
    });
  }
  function applyAlts() {
    swap(null, 'alt');
    var on = state.alts[state.entry] || {};
    Object.keys(on).forEach(function (j) {
      if (on[j]) {
        byClass('o' + state.entry + '_' + j).forEach(function (el) { el.classList.add('alt'); });
      }
    });
  }
  function applyPolicy() {
    swap(null, 'path');
    swap(null, 'path-old');
    var row = (data.pol[state.entry] || [])[state.policy];
    if (!row) { return; }
    maps();
    row[0].forEach(function (id) { var el = linkMap.get(id); if (el) { el.classList.add('path'); } });
    row[1].forEach(function (id) { var el = linkMap.get(id); if (el) { el.classList.add('path-old'); } });
  }
  function applyEntry() {
    if (!svg) { return; }
    var e = state.entry;
    if (data.kind === 'single') {
      swap('p' + e, 'path');
      swap('d' + e, 'path-disjoint');
      swap('a' + e, 'adj-sid');
      sidLabels(e);
      applyAlts();
    } else if (data.kind === 'list') {
      svg.setAttribute('data-u', e + state.util);
      applyPolicy();
    }
  }
  function markChanged() {
    if (!svg || !data.changed) { return; }
    maps();
    data.changed.forEach(function (id) {
      var el = nodeMap.get(id) || linkMap.get(id);
      if (el) { el.classList.add('changed'); }
    });
  }

  var select = document.getElementById('entry');
  function onEntry() {
    state.entry = parseInt(select.value, 10) || 0;
    state.policy = -1;
    all('section.entry').forEach(function (s) {
      s.hidden = s.getAttribute('data-entry') !== String(state.entry);
    });
    all('tr[data-policy].selected').forEach(function (tr) { tr.classList.remove('selected'); });
    applyEntry();
  }
  if (select) {
    select.addEventListener('change', onEntry);
    if (select.value !== '0') { onEntry(); }
  }
  all('input[name=util]').forEach(function (input) {
    input.addEventListener('change', function () {
      if (input.checked) { state.util = input.value; applyEntry(); }
    });
    if (input.checked && input.value !== 'a') { state.util = input.value; applyEntry(); }
  });
  function choosePolicy(tr) {
    var k = parseInt(tr.getAttribute('data-policy'), 10);
    state.policy = state.policy === k ? -1 : k;
    all('tr[data-policy].selected').forEach(function (row) { row.classList.remove('selected'); });
    if (state.policy === k) { tr.classList.add('selected'); }
    applyPolicy();
  }
  document.addEventListener('click', function (ev) {
    var button = ev.target.closest && ev.target.closest('button.alt-btn');
    if (button) {
      var e = button.closest('section.entry').getAttribute('data-entry');
      var j = button.getAttribute('data-alt');
      var on = state.alts[e] || (state.alts[e] = {});
      on[j] = !on[j];
      button.setAttribute('aria-pressed', on[j] ? 'true' : 'false');
      button.textContent = on[j] ? 'hide' : 'show';
      applyAlts();
      return;
    }
    var tr = ev.target.closest && ev.target.closest('tr[data-policy]');
    if (tr) { choosePolicy(tr); }
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') { return; }
    var tr = ev.target.closest && ev.target.closest('tr[data-policy]');
    if (tr) { choosePolicy(tr); }
  });

  if (!svg) { return; }

  // Zoom and pan.
  var base = svg.viewBox.baseVal;
  var home = [base.x, base.y, base.width, base.height];
  var vb = home.slice();
  var labelTimer = 0;
  function setBox() {
    svg.setAttribute('viewBox', vb.map(function (v) { return v.toFixed(2); }).join(' '));
    clearTimeout(labelTimer);
    labelTimer = setTimeout(drawLabels, 120);
  }
  // A client point in drawing units, and the scale (pixels per unit), as preserveAspectRatio
  // "xMidYMid meet" draws it.
  function toUser(cx, cy) {
    var rect = svg.getBoundingClientRect();
    var s = Math.min(rect.width / vb[2], rect.height / vb[3]) || 1;
    var ox = (rect.width - vb[2] * s) / 2;
    var oy = (rect.height - vb[3] * s) / 2;
    return [vb[0] + (cx - rect.left - ox) / s, vb[1] + (cy - rect.top - oy) / s, s];
  }
  function zoom(f, cx, cy) {
    var p = cx === undefined ? [vb[0] + vb[2] / 2, vb[1] + vb[3] / 2] : toUser(cx, cy);
    var w = vb[2] * f;
    if (w < home[2] / 1000 || w > home[2] * 4) { return; }
    vb = [p[0] - (p[0] - vb[0]) * f, p[1] - (p[1] - vb[1]) * f, w, vb[3] * f];
    setBox();
  }
  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    zoom(ev.deltaY < 0 ? 0.8 : 1.25, ev.clientX, ev.clientY);
  }, {passive: false});
  var drag = null;
  svg.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0) { return; }
    drag = {x: ev.clientX, y: ev.clientY, vb: vb.slice(), s: toUser(ev.clientX, ev.clientY)[2]};
  });
  svg.addEventListener('pointermove', function (ev) {
    if (!drag) { return; }
    var dx = (ev.clientX - drag.x) / drag.s;
    var dy = (ev.clientY - drag.y) / drag.s;
    if (!svg.classList.contains('dragging')) {
      if (Math.abs(dx) * drag.s < 3 && Math.abs(dy) * drag.s < 3) { return; }
      svg.classList.add('dragging');
      svg.setPointerCapture(ev.pointerId);
    }
    vb = [drag.vb[0] - dx, drag.vb[1] - dy, vb[2], vb[3]];
    setBox();
  });
  function endDrag() {
    drag = null;
    svg.classList.remove('dragging');
  }
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  function onButton(id, f) {
    var b = document.getElementById(id);
    if (b) { b.addEventListener('click', f); }
  }
  onButton('zoom-in', function () { zoom(0.7); });
  onButton('zoom-out', function () { zoom(1 / 0.7); });
  onButton('zoom-fit', function () { vb = home.slice(); setBox(); });

  // Labels drawn by the script (large networks): the nodes in view, once few enough.
  function drawLabels() {
    if (svg.getAttribute('data-labels') !== 'script') { return; }
    var layer = document.getElementById('labels');
    while (layer.firstChild) { layer.removeChild(layer.firstChild); }
    var inView = [];
    var nodes = svg.querySelectorAll('[data-node]');
    for (var i = 0; i < nodes.length; i++) {
      var c = nodes[i].firstElementChild;
      var x = parseFloat(c.getAttribute('cx'));
      var y = parseFloat(c.getAttribute('cy'));
      if (x >= vb[0] && x <= vb[0] + vb[2] && y >= vb[1] && y <= vb[1] + vb[3]) {
        inView.push([nodes[i].getAttribute('data-node'), x, y]);
        if (inView.length > 400) { return; }
      }
    }
    var rect = svg.getBoundingClientRect();
    var unit = vb[2] / (rect.width || 1);
    layer.setAttribute('font-size', (12 * unit).toFixed(3));
    var r = radius();
    var frag = document.createDocumentFragment();
    inView.forEach(function (n) {
      var t = document.createElementNS(SVGNS, 'text');
      t.setAttribute('class', 'lbl');
      t.setAttribute('x', n[1].toFixed(1));
      t.setAttribute('y', (n[2] + r + 12 * unit).toFixed(1));
      t.textContent = n[0];
      frag.appendChild(t);
    });
    layer.appendChild(frag);
  }

  // The remainder of a large network.
  var restUrl = svg.getAttribute('data-rest');
  var note = document.getElementById('rest-state');
  if (restUrl) {
    if (note) { note.textContent = 'loading the rest of the network…'; }
    fetch(restUrl, {credentials: 'same-origin'}).then(function (r) {
      if (!r.ok) { throw new Error('HTTP ' + r.status); }
      return r.text();
    }).then(function (text) {
      // The HTML parser reads SVG markup inside an SVG element several times faster than
      // DOMParser's XML parser and needs no copy.
      document.getElementById('rest').innerHTML = text;
      nodeMap = null;
      applyEntry();
      markChanged();
      if (note) { note.textContent = ''; }
      svg.setAttribute('data-complete', 'true');
      drawLabels();
    }).catch(function (err) {
      if (note) { note.textContent = 'the rest of the network could not be loaded: ' + err.message; }
    });
  } else {
    svg.setAttribute('data-complete', 'true');
  }
  markChanged();
}());
