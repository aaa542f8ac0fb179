// 台账导入: the chosen file goes as the request body (a progress bar while it uploads); first a
// check that writes nothing, then the import. The server answers with the report as HTML.
(function () {
  const input = document.getElementById("import-file");
  if (!input) return;
  const check = document.getElementById("import-check");
  const run = document.getElementById("import-run");
  const bar = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const report = document.getElementById("import-report");
  const csrf = (document.cookie.match(/(?:^|; )sl_csrf=([^;]+)/) || [])[1] || "";

  function send(dryRun) {
    const file = input.files[0];
    if (!file) return;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/organizations/import/?dry_run=" + (dryRun ? "true" : "false") + "&name=" + encodeURIComponent(file.name));
    xhr.setRequestHeader("X-CSRFToken", decodeURIComponent(csrf));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    bar.hidden = false;
    bar.value = 0;
    status.textContent = file.name;
    check.disabled = run.disabled = true;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
    xhr.onload = () => {
      bar.value = 100;
      report.innerHTML = xhr.responseText;
      check.disabled = false;
      // the import is offered once a check found the file clean
      run.disabled = !(dryRun && xhr.status === 200 && !report.querySelector("[data-testid=import-problems]"));
    };
    xhr.onerror = () => { status.textContent = document.getElementById("import-zone").dataset.failed; check.disabled = false; };
    xhr.send(file);
  }

  input.addEventListener("change", () => { check.disabled = !input.files.length; run.disabled = true; report.innerHTML = ""; });
  check.addEventListener("click", () => send(true));
  run.addEventListener("click", () => send(false));
})();
