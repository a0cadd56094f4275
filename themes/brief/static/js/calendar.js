// Dates that have passed since the site was built, marked as the build marked the ones
// before it: "past" beside the date, and the calendar page opens at today's month. Without
// this script the build's marks stand (the site is built at least once a week).
const now = new Date();
const pad = (n) => String(n).padStart(2, "0");
const today = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;

for (const item of document.querySelectorAll("[data-end]")) {
  if (item.dataset.end >= today || item.classList.contains("past")) continue;
  item.classList.add("past");
  const label = document.createElement("span");
  label.className = "past-label";
  label.textContent = "past";
  item.querySelector("time")?.after(" ", label);
}

const upcoming = document.querySelector(".calendar-item:not(.past)");
if (upcoming && !location.hash) {
  const month = upcoming.closest(".calendar-month");
  if (month && month !== document.querySelector(".calendar-month")) month.scrollIntoView();
}
