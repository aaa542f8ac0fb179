// Documents: choose or drop files; each is sent as the request body with a progress bar,
// then the page reloads with the required list ticked. Refusals show the server's message.
(function () {
  const zone = document.getElementById("dropzone");
  if (!zone) return;
  const input = document.getElementById("doc-file");
  const slot = document.getElementById("doc-slot");
  const bar = document.getElementById("doc-progress");
  const status = document.getElementById("doc-status");
  const csrf = (document.cookie.match(/(?:^|; )sl_csrf=([^;]+)/) || [])[1] || "";
  const zh = document.documentElement.lang.startsWith("zh");

  function send(files) {
    let next = 0;
    const one = () => {
      if (next >= files.length) { window.location.assign(zone.dataset.done); return; }
      const file = files[next++];
      const xhr = new XMLHttpRequest();
      const subject = slot.selectedOptions[0].dataset.subject;
      xhr.open("POST", zone.dataset.url + "?slot=" + encodeURIComponent(slot.value) + "&name=" + encodeURIComponent(file.name)
        + (subject ? "&subject=" + encodeURIComponent(subject) : ""));
      xhr.setRequestHeader("X-CSRFToken", decodeURIComponent(csrf));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      bar.hidden = false;
      bar.value = 0;
      status.className = "muted";
      status.textContent = file.name;
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
      xhr.onload = () => {
        if (xhr.status === 201) { bar.value = 100; one(); return; }
        let problem = {};
        try { problem = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        status.className = "error-text";
        status.textContent = file.name + ": " + ((zh ? problem.message_zh : problem.message_en) || xhr.statusText);
      };
      xhr.onerror = () => { status.className = "error-text"; status.textContent = zone.dataset.failed; };
      xhr.send(file);
    };
    one();
  }

  input.addEventListener("change", () => send(Array.from(input.files)));
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    send(Array.from(e.dataTransfer.files));
  });
  zone.dataset.ready = "";  // the zone listens from here on; a test waits for this before choosing a file
})();
