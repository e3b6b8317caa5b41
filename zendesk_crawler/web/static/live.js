// Live progress of the running extraction: polls /status.json and reloads the page when the run ends.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job || job.dataset.active !== "true") { return; }
  function text(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function poll() {
    fetch("/status.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        var current = status.job;
        if (!current) { return; }
        text("job-state", current.state);
        text("job-tickets", current.tickets === null ? "0" : String(current.tickets));
        text("job-position", current.position || "not yet");
        text("job-progress", current.progress || "");
        text("job-failure", current.failure || "");
        job.className = "job " + current.state;
        if (current.active) { window.setTimeout(poll, 1000); } else { window.location.replace("/"); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
