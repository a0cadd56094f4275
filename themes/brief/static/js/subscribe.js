// The subscribe forms, enhanced: the answer appears in place (announced to screen readers)
// instead of on the service's own page. Without this script the form still works, and so
// does a form that posts to another origin (a local preview): it is left to the browser.
for (const form of document.querySelectorAll("form[data-subscribe]")) {
  if (new URL(form.action, location.href).origin !== location.origin) continue;
  const status = form.querySelector(".subscribe-status");
  const button = form.querySelector("button[type=submit]");
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
