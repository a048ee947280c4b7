// The cashier page's script: a keypad, one payment per page view whatever is tapped, and the
// result page's polling. Every page also works without it (services/gateway/README.md).
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var AMOUNT = /^[0-9]{1,11}(\.[0-9]{1,2})?$/;

  function validAmount(v) {
    return AMOUNT.test(v) && /[1-9]/.test(v);
  }

  function postForm(form, submitter, onNext, onError) {
    var body = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    fetch(form.action, {
      method: 'POST',
      headers: {'Accept': 'application/json'},
      body: body,
      credentials: 'same-origin'
    }).then(function (res) {
      return res.json().then(function (j) { return {ok: res.ok, j: j}; });
    }).then(function (r) {
      if (r.ok && r.j.next) onNext(r.j.next); else onError(r.j.error || '', r.j.field || '');
    }, function () { onError('', ''); });
  }

  function setupPay(form) {
    var input = document.getElementById('amount');
    var error = document.getElementById('error');
    var msg = form.querySelector('.msg');
    var button = document.getElementById('pay-button');
    var busy = false;
    if (input) {
      input.readOnly = true; // the keypad replaces the phone's keyboard
      form.querySelectorAll('.keypad button').forEach(function (b) {
        b.addEventListener('click', function () {
          var k = b.getAttribute('data-key');
          var v = input.value;
          if (k === 'del') v = v.slice(0, -1);
          else if (k === '.') v = v === '' ? '0.' : (v.indexOf('.') < 0 ? v + '.' : v);
          else if (v === '0') v = k;
          else v = v + k;
          if (v === '' || /^[0-9]{0,11}(\.[0-9]{0,2})?$/.test(v)) input.value = v;
          error.textContent = '';
        });
      });
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (busy) return;
      if (input && !validAmount(input.value)) {
        error.textContent = msg.getAttribute('data-amount');
        error.setAttribute('data-field', 'amount');
        return;
      }
      busy = true;
      button.disabled = true;
      button.textContent = msg.getAttribute('data-paying');
      error.textContent = '';
      postForm(form, null, function (next) {
        // replace: the back button never returns to a form that could pay again
        location.replace(next);
      }, function (text, field) {
        busy = false;
        button.disabled = false;
        button.textContent = button.getAttribute('data-label') || button.textContent;
        error.textContent = text || msg.getAttribute('data-network');
        if (field) error.setAttribute('data-field', field);
      });
    });
    button.setAttribute('data-label', button.textContent);
  }

  function setupConfirm(form) {
    var busy = false;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (busy) return;
      busy = true;
      form.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
      postForm(form, e.submitter, function (next) { location.replace(next); }, function () {
        busy = false;
        form.querySelectorAll('button').forEach(function (b) { b.disabled = false; });
      });
    });
  }

  function setupResult(el) {
    if (el.getAttribute('data-final') === 'true') return;
    var url = el.getAttribute('data-poll');
    var done = el.querySelector('.msg').getAttribute('data-done');
    var tries = 0;
    function poll() {
      tries++;
      fetch(url, {headers: {'Accept': 'application/json'}, credentials: 'same-origin'})
        .then(function (res) { return res.json(); })
        .then(function (j) {
          if (j.status_text) document.getElementById('status-text').textContent = j.status_text;
          if (j.final) {
            el.setAttribute('data-final', 'true');
            el.classList.add(j.success ? 'ok' : 'bad');
            el.querySelector('.mark').textContent = j.success ? '\u2713' : '\u2715';
            document.getElementById('hint').textContent = done;
            document.title = j.status_text;
            document.querySelector('main').setAttribute('data-status', j.status);
            return;
          }
          schedule();
        }, schedule);
    }
    function schedule() { setTimeout(poll, tries < 10 ? 1000 : 3000); }
    schedule();
  }

  function start() {
    var pay = document.getElementById('pay');
    if (pay) setupPay(pay);
    var confirm = document.getElementById('confirm');
    if (confirm) setupConfirm(confirm);
    var result = document.getElementById('result');
    if (result) setupResult(result);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
