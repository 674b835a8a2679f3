// The public portal: a print button on the poster page (no inline script; CSP-friendly).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-zg-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
