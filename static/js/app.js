// Latchkey page behaviour. Loaded with <script src defer nonce> under a strict
// CSP, so everything hangs off delegated listeners and data attributes; there
// are no inline handlers.
//
//   <button data-confirm="Revoke this token?">  asks before the button acts
//   <button data-copy="some-id">                copies the text of #some-id
(function () {
  "use strict";

  var FEEDBACK_MS = 2000;

  function closest(target, selector) {
    return target instanceof Element ? target.closest(selector) : null;
  }

  // data-confirm: cancelling the dialog cancels the click, and with it the
  // form submission (Enter in a field also submits through a click on the
  // form's default button).
  document.addEventListener("click", function (event) {
    var button = closest(event.target, "[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  // data-copy: copy the text of the referenced element to the clipboard.
  document.addEventListener("click", function (event) {
    var button = closest(event.target, "[data-copy]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var text = source.textContent.trim();
    copyText(text, source).then(
      function () { feedback(button, "Copied"); },
      function () { selectText(source); feedback(button, "Selected"); }
    );
  });

  function copyText(text, source) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP development servers have no Clipboard API.
    selectText(source);
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function feedback(button, label) {
    if (!button.dataset.label) {
      button.dataset.label = button.textContent;
    }
    button.textContent = label;
    window.clearTimeout(Number(button.dataset.timer));
    button.dataset.timer = String(window.setTimeout(function () {
      button.textContent = button.dataset.label;
    }, FEEDBACK_MS));
  }
})();
