/**
 * The console's few lines of script (served as /static/console.js), progressive enhancement only: every page
 * works without it. "Select all" for dead letters, and the live feed (Server-Sent Events) on the transfers page
 * and a transfer's timeline.
 */
export const CONSOLE_JS = `'use strict';
(function () {
  document.querySelectorAll('input[data-select-all]').forEach(function (all) {
    var group = all.getAttribute('data-select-all');
    var boxes = function () { return document.querySelectorAll('input[data-group="' + group + '"]'); };
    all.hidden = false;
    all.addEventListener('change', function () { boxes().forEach(function (b) { b.checked = all.checked; }); });
  });

  var live = document.querySelector('[data-live]');
  if (!live || typeof EventSource === 'undefined') return;
  var lang = document.documentElement.lang === 'en' ? 'en-GB' : 'nb-NO';
  var fmt = new Intl.DateTimeFormat(lang, { timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  var source = new EventSource('/live/stream');
  var kind = live.getAttribute('data-live');
  source.addEventListener('open', function () { live.setAttribute('data-live-state', 'open'); });
  source.addEventListener('error', function () { live.setAttribute('data-live-state', 'reconnecting'); });

  if (kind === 'transfers') {
    var list = live.querySelector('.live-list');
    source.addEventListener('event', function (m) {
      var e = JSON.parse(m.data);
      var li = document.createElement('li');
      li.className = 'live-item';
      var when = document.createElement('time');
      when.dateTime = e.receivedAt;
      when.textContent = fmt.format(new Date(e.receivedAt));
      li.appendChild(when);
      li.appendChild(document.createTextNode(' ' + e.type + ' '));
      if (e.fileTransferId) {
        var a = document.createElement('a');
        a.href = '/transfers/' + encodeURIComponent(e.fileTransferId);
        a.textContent = e.fileTransferId;
        li.appendChild(a);
      }
      list.insertBefore(li, list.firstChild);
      while (list.children.length > 50) list.removeChild(list.lastChild);
    });
  }

  if (kind === 'timeline') {
    var id = live.getAttribute('data-transfer');
    var refreshing = false, again = false;
    var refresh = function () {
      if (refreshing) { again = true; return; }
      refreshing = true;
      fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (text) {
          if (!text) return;
          var doc = new DOMParser().parseFromString(text, 'text/html');
          var fresh = doc.querySelector('[data-live="timeline"]');
          var current = document.querySelector('[data-live="timeline"]');
          if (!fresh || !current) return;
          var open = Array.prototype.map.call(current.querySelectorAll('details'), function (d) { return d.open; });
          current.innerHTML = fresh.innerHTML;
          current.querySelectorAll('details').forEach(function (d, i) { if (open[i]) d.open = true; });
        })
        .catch(function () {})
        .then(function () { refreshing = false; if (again) { again = false; refresh(); } });
    };
    var mine = function (m) { var d = JSON.parse(m.data); if (d.fileTransferId === id) refresh(); };
    source.addEventListener('event', mine);
    source.addEventListener('delivery', mine);
  }
})();
`;
