// Score form: running total, drafts saved automatically, confirmation before submitting.
(function () {
  const form = document.getElementById("score-form");
  if (!form) return;
  const total = document.getElementById("running-total");
  const status = document.getElementById("autosave-status");
  const max = parseFloat(form.dataset.totalMax);
  const csrf = (document.cookie.match(/(?:^|; )sl_csrf=([^;]+)/) || [])[1] || "";
  let timer = null;

  function recount() {
    let sum = 0;
    form.querySelectorAll("input.points").forEach((input) => { sum += parseFloat(input.value) || 0; });
    total.textContent = Math.min(sum, max).toFixed(1);
  }

  async function autosave() {
    const body = new URLSearchParams(new FormData(form));
    body.set("intent", "save");
    const response = await fetch(form.action, {
      method: "POST", body, headers: { "X-Autosave": "1", "X-CSRFToken": decodeURIComponent(csrf) },
    });
    const answer = await response.json().catch(() => ({}));
    status.textContent = response.ok ? form.dataset.saved : (answer.message || response.statusText);
    status.className = response.ok ? "muted" : "error-text";
  }

  form.addEventListener("input", () => {
    recount();
    if (form.querySelector("input[readonly]")) return;
    clearTimeout(timer);
    timer = setTimeout(autosave, 1200);
  });
  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.value === "submit" && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  recount();
})();
