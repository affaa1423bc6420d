// /drafts: local times, and deleting a draft (a second click confirms).

import { api } from "./api.js";
import { formatDateTime, plural, t } from "./i18n.js";

const list = document.getElementById("draft-list");

for (const stamp of document.querySelectorAll("[data-timestamp]")) {
  stamp.textContent = t("drafts.updated", { at: formatDateTime(stamp.dataset.timestamp) });
}

function showError(text) {
  const box = document.getElementById("drafts-error");
  box.textContent = text || "";
  box.hidden = !text;
}

list.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action='delete']");
  if (!button) return;
  const card = button.closest("[data-draft-id]");
  if (button.dataset.armed !== "true") {
    button.dataset.armed = "true";
    button.textContent = t("drafts.delete_confirm");
    return;
  }
  button.disabled = true;
  try {
    const id = encodeURIComponent(card.dataset.draftId);
    const answer = await api("DELETE", `/api/drafts/${id}`);
    card.remove();
    document.getElementById("draft-count").textContent =
      `(${plural("drafts.count", answer.draftCount)})`;
    document.getElementById("drafts-empty").hidden = answer.draftCount > 0;
    showError("");
  } catch (error) {
    button.disabled = false;
    showError(t("common.error", { message: error.message }));
  }
});
