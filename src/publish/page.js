// The feed page's copy button (src/publish/page.rs). The page works
// without it: the address is in a read-only field that selects itself.
(function () {
  var input = document.getElementById('feed-url');
  var button = document.getElementById('copy-feed-url');
  if (!input || !button) return;
  input.addEventListener('focus', function () { input.select(); });
  button.hidden = false;
  function done() {
    button.textContent = button.getAttribute('data-done');
  }
  // Over plain HTTP there is no Clipboard API: select and copy instead.
  function fallback() {
    input.focus();
    input.select();
    try { if (document.execCommand('copy')) done(); } catch (e) { /* the field stays selected */ }
  }
  button.addEventListener('click', function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, fallback);
    } else {
      fallback();
    }
  });
})();
