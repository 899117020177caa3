// Kairos: the little the DSFR does not do. Loaded as a file (the CSP forbids
// inline scripts); every page works without it.
(function () {
  'use strict';
  function ready() {
    // A form that failed: the focus goes to its error summary, so that a
    // screen reader reads it and Tab leads to the links to the fields.
    var summary = document.getElementById('erreurs');
    if (summary && document.activeElement !== summary) {
      summary.focus();
    }
    // Tables become cards on a phone (kairos.css): each cell gets the text
    // of its column header as a label.
    var tables = document.querySelectorAll('.fr-table table');
    for (var i = 0; i < tables.length; i++) {
      var heads = tables[i].querySelectorAll('thead th');
      if (!heads.length) continue;
      var rows = tables[i].querySelectorAll('tbody tr');
      for (var r = 0; r < rows.length; r++) {
        var cells = rows[r].children;
        for (var c = 0, col = 0; c < cells.length && col < heads.length; c++) {
          var label = heads[col].getAttribute('data-label') || heads[col].textContent.trim();
          if (label && !cells[c].hasAttribute('data-label')) cells[c].setAttribute('data-label', label);
          col += cells[c].colSpan || 1;
        }
      }
    }
    // Attendance: a result is chosen only for a participant present (or
    // not noted yet); the server refuses one for anyone else.
    var results = document.querySelectorAll('[data-status]');
    function sync(sel) {
      var on = sel.value === 'present' || sel.value === 'inscrit';
      for (var k = 0; k < results.length; k++) {
        if (results[k].getAttribute('data-status') !== sel.id) continue;
        var none = results[k].classList.contains('kairos-result-none');
        results[k].hidden = none ? on : !on;
        if (!none && !on) {
          var fields = results[k].querySelectorAll('select, input');
          for (var m = 0; m < fields.length; m++) fields[m].value = '';
        }
      }
    }
    var seen = {};
    for (var j = 0; j < results.length; j++) {
      var id = results[j].getAttribute('data-status');
      var sel = document.getElementById(id);
      if (!sel || seen[id]) continue;
      seen[id] = true;
      sel.addEventListener('change', function (ev) { sync(ev.target); });
      sync(sel);
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', ready);
  } else {
    ready();
  }
})();
