// custexport admin UI: live progress of a running export job, the copy button, and focus where
// the result of an action is. Everything else works without JavaScript (forms, confirmation
// pages). No inline script: the CSP forbids it.
"use strict";

// reloadPage loads the page's address anew with GET. location.reload() would not do: on the page
// a POST answered (a refused second export, a form with errors) it sends the form again, and so
// starts another export once the running one has ended.
function reloadPage() {
  window.location.replace(window.location.pathname + window.location.search);
}

// announce says a text through a live region (role=status) of the page.
function announce(id, text) {
  const region = document.getElementById(id);
  if (region) {
    region.textContent = text;
  }
}

// showFinishedJob puts the finished job's box, as the server renders it, in place of the
// running one, without reloading the page (the user's place and focus stay), then moves focus
// to its download button and says that the export is done.
async function showFinishedJob(box, job) {
  let fresh = null;
  try {
    const resp = await fetch("/customers/export", { credentials: "same-origin" });
    if (resp.ok && !resp.redirected) {
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      fresh = doc.getElementById("job");
    }
  } catch (e) {
    fresh = null;
  }
  if (!fresh || fresh.dataset.jobId !== String(job.id)) {
    reloadPage();
    return;
  }
  box.replaceWith(document.adoptNode(fresh));
  const busy = document.getElementById("export-busy");
  if (busy) {
    busy.remove(); // the export that made another one wait has ended
  }
  announce("job-announce", job.text);
  const download = document.getElementById("job-download");
  if (download) {
    download.focus();
  }
}

function pollJob(box) {
  const url = box.dataset.poll;
  const bar = document.getElementById("job-progress");
  const text = document.getElementById("job-text");
  let tenth = -1; // the last tenth announced: a screen reader hears 10 %, 20 %, … not every poll
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
      bar.value = job.done;
    }
    bar.textContent = job.percent + " %";
    text.textContent = job.text;
    if (job.state === "running") {
      const now = Math.floor(job.percent / 10);
      if (job.total > 0 && now > tenth) {
        if (tenth >= 0 || now > 0) {
          announce("job-announce", job.percent_text);
        }
        tenth = now;
      }
      setTimeout(tick, 400);
    } else if (job.state === "done") {
      showFinishedJob(box, job);
    } else {
      reloadPage(); // failed or expired: the page says why
    }
  };
  setTimeout(tick, 200);
}

function copyButtons() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    const label = button.textContent;
    let reset = 0;
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (e) {
        document.execCommand("copy");
      }
      button.textContent = button.dataset.copied;
      announce(button.dataset.status, button.dataset.copied);
      clearTimeout(reset);
      reset = setTimeout(() => {
        button.textContent = label;
        announce(button.dataset.status, "");
      }, 4000);
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

// focusResult puts focus where the answer to the user's last action is: the first field the
// server refused (its error is right after it), else the element marked autofocus (the new
// permanent link, selected so that it can be copied at once), else one marked data-focus (the
// import's report or refusal).
function focusResult() {
  const invalid = document.querySelector('[aria-invalid="true"]');
  const target = invalid || document.querySelector("[autofocus]") || document.querySelector("[data-focus]");
  if (!target) {
    return;
  }
  if (document.activeElement !== target) {
    target.focus();
  }
  target.scrollIntoView({ block: "center" });
  if (target.readOnly && target.select) {
    target.select();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  copyButtons();
  csvOnlyEncoding();
  const box = document.getElementById("job");
  if (box && box.dataset.state === "running") {
    pollJob(box);
  }
  // A job this user just started that had ended before the page loaded: its download first.
  const started = new URLSearchParams(window.location.search).get("job");
  const download = document.getElementById("job-download");
  if (box && download && started === box.dataset.jobId) {
    download.focus();
    announce("job-announce", document.getElementById("job-text").textContent);
    return;
  }
  focusResult();
});
