// The subscribe forms, enhanced: the answer appears in place (announced to screen readers)
// instead of on the service's own page. Without this script the form still works, and so
// does a form that posts to another origin (a local preview): it is left to the browser,
// once the service has answered. A local preview's form says that signing up needs the
// service; the note goes away while the service runs, and a form sent while it does not
// run says so in place, instead of the browser's "connection refused".
async function serviceRuns(url) {
  try {
    await fetch(url, { mode: "no-cors", cache: "no-store" });
    return true;
  } catch {
    return false;
  }
}

for (const form of document.querySelectorAll("form[data-subscribe]")) {
  const status = form.querySelector(".subscribe-status");
  const button = form.querySelector("button[type=submit]");
  const local = form.querySelector(".subscribe-local");
  if (new URL(form.action, location.href).origin !== location.origin) {
    if (!local) continue;
    serviceRuns(local.dataset.health).then((runs) => { local.hidden = runs; });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (await serviceRuns(local.dataset.health)) {
        form.submit();
        return;
      }
      local.hidden = false;
      status.textContent =
        "Not sent: the subscription service is not running (see below).";
      status.classList.add("error");
    });
    continue;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "Sending…";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      status.textContent = answer.message;
      status.classList.toggle("error", !response.ok);
      if (response.ok) form.reset();
    } catch {
      status.textContent = "The sign-up service did not answer. Please try again later.";
      status.classList.add("error");
    } finally {
      button.disabled = false;
    }
  });
}
