// A draft's way to the ERP, in words: in coda, invio…, inviato with the ERP's number and
// state, rifiutato with the ERP's reasons. Nothing is shown for a draft never sent.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function reasonText(reason, t) {
  if (reason.line && !/^line \d+/i.test(reason.message)) {
    return t("drafts.line_reason", { line: reason.line, message: reason.message });
  }
  return reason.message;
}

export function renderSubmission(box, draft, { formatDate, formatTime, formatDateTime, t }) {
  box.replaceChildren();
  const submission = draft.submission;
  if (!submission) return;
  const state = submission.state;
  box.dataset.state = state;
  if (state === "placed") {
    box.append(element("p", "state placed", t("drafts.state.placed", { number: submission.erpNumber })));
    const facts = [t("drafts.state.order_date", { date: formatDate(submission.orderDate) })];
    if (submission.erpState) facts.push(t("drafts.state.erp_state", { state: submission.erpState }));
    facts.push(formatDateTime(submission.decidedAt));
    box.append(element("p", "muted", facts.join(" · ")));
    return;
  }
  if (state === "rejected") {
    box.append(element("p", "state rejected", t("drafts.state.rejected")));
    const reasons = element("ul", "reasons");
    for (const reason of submission.reasons) reasons.append(element("li", "", reasonText(reason, t)));
    box.append(reasons);
    if (!draft.sendable) box.append(element("p", "muted", t("drafts.resend_hint")));
    return;
  }
  const label = state === "sending" ? t("drafts.state.sending") : t("drafts.state.queued");
  box.append(element("p", `state ${state}`, label));
  if (state === "queued" && submission.nextAttemptAt) {
    box.append(element("p", "muted", t("drafts.state.retrying", { at: formatTime(submission.nextAttemptAt) })));
  }
}
