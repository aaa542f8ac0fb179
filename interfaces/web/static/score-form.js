// Score form: nothing typed is lost. Subtotals and the running total count only valid values; drafts save
// automatically (the server keeps every valid field and refuses an invalid one alone, told beside it); what is
// typed is also kept in this browser until the server has it, restored on return, and leaving with unsaved
// input asks first. Submitting asks to confirm.
(function () {
  const form = document.getElementById("score-form");
  if (!form) return;
  const total = document.getElementById("running-total");
  const status = document.getElementById("autosave-status");
  const max = parseFloat(form.dataset.totalMax);
  const key = form.dataset.storageKey;
  const locked = form.dataset.locked === "1";
  const csrf = (document.cookie.match(/(?:^|; )sl_csrf=([^;]+)/) || [])[1] || "";
  const fields = () => form.querySelectorAll("input.points, textarea");
  let timer = null;
  let unsaved = false;

  function valid(input) {
    return input.value.trim() !== "" && input.checkValidity() && !input.hasAttribute("aria-invalid");
  }

  function recount() {
    let sum = 0;
    const subtotals = {};
    form.querySelectorAll("input.points").forEach((input) => {
      if (!valid(input)) return;
      const value = parseFloat(input.value);
      sum += value;
      const category = input.dataset.category;
      if (category) subtotals[category] = (subtotals[category] || 0) + value;
    });
    form.querySelectorAll("[data-subtotal]").forEach((cell) => {
      cell.textContent = (subtotals[cell.dataset.subtotal] || 0).toFixed(1);
    });
    total.textContent = Math.min(sum, max).toFixed(1);
  }

  function mark(name, message) {
    const input = form.elements[name];
    const error = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (!input || !error) return;
    error.textContent = message || "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    input.closest(".score-row").classList.toggle("invalid", Boolean(message));
  }

  function checkInBrowser(input) {
    // the browser's own range check first, so the mark and the total follow as the person types
    if (!input.classList.contains("points")) return;
    const message = input.value.trim() !== "" && !input.checkValidity() ? (input.dataset.invalid || input.validationMessage) : "";
    mark(input.name, message);
  }

  function remember() {
    if (!key || locked) return;
    const typed = {};
    fields().forEach((f) => { typed[f.name] = f.value; });
    try { localStorage.setItem(key, JSON.stringify(typed)); } catch (e) { /* private mode: the server copy stays */ }
  }

  function forget() {
    if (key) try { localStorage.removeItem(key); } catch (e) { /* nothing to forget */ }
  }

  function restore() {
    if (locked) { forget(); return; }  // submitted: the server has it all
    if (!key) return;
    let typed = null;
    try { typed = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { typed = null; }
    if (!typed) return;
    let changed = false;
    fields().forEach((f) => {
      if (f.name in typed && typed[f.name] !== f.value) { f.value = typed[f.name]; changed = true; checkInBrowser(f); }
    });
    if (changed) {
      unsaved = true;
      status.textContent = form.dataset.restored;
      status.className = "error-text";
      schedule();
    }
  }

  async function autosave() {
    const body = new URLSearchParams(new FormData(form));
    body.set("intent", "save");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", body, headers: { "X-Autosave": "1", "X-CSRFToken": decodeURIComponent(csrf) },
      });
    } catch (e) {
      status.textContent = form.dataset.unsaved;
      status.className = "error-text";
      return;  // offline: the browser keeps it, the next input tries again
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      status.textContent = answer.message || response.statusText;
      status.className = "error-text";
      return;
    }
    const errors = answer.errors || {};
    form.querySelectorAll("input.points").forEach((input) => {
      // the server's reason (in the page's language) wins over the browser's own
      if (errors[input.name]) mark(input.name, errors[input.name]);
      else checkInBrowser(input);
    });
    recount();
    if (Object.keys(errors).length) {
      status.textContent = form.dataset.partly;
      status.className = "error-text";  // the refused values stay in this browser until corrected
    } else {
      unsaved = false;
      forget();
      status.textContent = form.dataset.saved;
      status.className = "muted";
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(autosave, 1200);
  }

  form.addEventListener("input", (event) => {
    checkInBrowser(event.target);
    recount();
    if (locked) return;
    unsaved = true;
    remember();
    schedule();
  });
  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.value === "submit" && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    unsaved = false;  // the server answers with the page again if anything is refused; the browser copy stays
  });
  window.addEventListener("beforeunload", (event) => {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = "";  // the browser asks whether to leave
  });
  restore();
  recount();
})();
