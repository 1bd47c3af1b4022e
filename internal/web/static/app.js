// custexport admin UI: live progress of a running export job, and the copy button. Everything
// else works without JavaScript (forms, confirmation pages). No inline script: the CSP forbids it.
"use strict";

// reloadPage loads the page's address anew with GET. location.reload() would not do: on the page
// a POST answered (a refused second export, a form with errors) it sends the form again, and so
// starts another export once the running one has ended.
function reloadPage() {
  window.location.replace(window.location.pathname + window.location.search);
}

function pollJob(box) {
  const url = box.dataset.poll;
  const bar = document.getElementById("job-progress");
  const text = document.getElementById("job-text");
  const tick = async () => {
    let job;
    try {
      const resp = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (resp.redirected || !resp.ok) {
        reloadPage(); // signed out, or the job is gone: the page says why
        return;
      }
      job = await resp.json();
    } catch (e) {
      setTimeout(tick, 2000);
      return;
    }
    if (job.total > 0) {
      bar.max = job.total;
    }
    bar.value = job.done;
    bar.textContent = job.percent + " %";
    text.textContent = job.text;
    if (job.state === "running") {
      setTimeout(tick, 400);
    } else {
      reloadPage(); // the finished job: download button, counts
    }
  };
  setTimeout(tick, 200);
}

function copyButtons() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (e) {
        document.execCommand("copy");
      }
      button.textContent = button.dataset.copied;
    });
  }
}

// csvOnlyEncoding disables each form's encoding select while its format is not CSV: XML and
// XLSX are always UTF-8, and a disabled select is not sent, so a windows-1250 left selected
// from an earlier CSV choice is not refused. Without JavaScript the select is sent as chosen,
// and the server refuses windows-1250 with XML or XLSX beside the field.
function csvOnlyEncoding() {
  for (const encoding of document.querySelectorAll("select[data-csv-only]")) {
    const format = encoding.form && encoding.form.elements.namedItem("format");
    if (!format) {
      continue;
    }
    const update = () => {
      encoding.disabled = format.value !== "csv";
    };
    format.addEventListener("change", update);
    update();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("job");
  if (box && box.dataset.state === "running") {
    pollJob(box);
  }
  copyButtons();
  csvOnlyEncoding();
});
