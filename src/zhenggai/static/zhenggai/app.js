// Small behaviours without inline scripts (so that a strict Content-Security-Policy can hold).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.dataset.autosubmit !== undefined && el.form) {
    el.form.requestSubmit();
  }
});

// Percent sliders mirror their number box (the form works without script through the box alone).
document.querySelectorAll("input[type=range][data-zg-range-for]").forEach((range) => {
  const input = document.getElementById(range.dataset.zgRangeFor);
  if (!input) return;
  range.hidden = false;
  range.addEventListener("input", () => { input.value = range.value; });
  input.addEventListener("input", () => { range.value = input.value; });
});
