// Drafts entered without signal wait on the device, with the id the page gave them, until the
// server has them. Uploads go one at a time in the order they were saved; each is idempotent
// (a create names its id: sent twice it is still one draft; a change names the revision it was
// made from: if the draft changed elsewhere meanwhile the server refuses it and the agent
// chooses which version to keep). "Invia" pressed offline is remembered and sent after the
// upload. Nothing leaves the device while nobody (or someone else) is signed in.

import { ApiError, api } from "./api.js";

export const PendingState = {
  WAITING: "waiting",
  CONFLICT: "conflict",
  REFUSED: "refused",
};

// A network failure, as opposed to an answer: the draft waits for the next try.
export function isOffline(error) {
  return !(error instanceof ApiError);
}

export class PendingDrafts {
  constructor(store) {
    this.store = store;
    this.flushing = null;
  }

  async all() {
    const pending = await this.store.all("pending");
    return pending.sort((a, b) => a.savedAt - b.savedAt);
  }

  // Drafts the server does not know yet (a pending change of a known draft is not one more).
  async newCount() {
    return (await this.all()).filter((p) => p.op === "create").length;
  }

  async get(id) {
    return this.store.get("pending", id);
  }

  // ``revision``: the server's revision the change was made from, for a draft it knows.
  // ``display``: what the drafts page shows of it (customer name, product descriptions, total).
  async save(id, body, { known = false, revision = null, display = null } = {}) {
    const before = await this.get(id);
    const op = before ? before.op : known ? "update" : "create";
    await this.store.put("pending", {
      id,
      op,
      body,
      display,
      revision: before ? before.revision : revision,
      savedAt: before ? before.savedAt : Date.now(),
      changedAt: Date.now(),
      send: before ? before.send : false,
      state: PendingState.WAITING,
      error: null,
      current: null,
    });
  }

  // "Invia" pressed offline on a draft the server has: sent when the signal returns.
  async queueSend(id, display) {
    if (await this.get(id)) return this.markSend(id);
    const now = Date.now();
    await this.store.put("pending", {
      id, op: "send", body: null, display, revision: null, savedAt: now, changedAt: now,
      send: true, state: PendingState.WAITING, error: null, current: null,
    });
  }

  async markSend(id) {
    const pending = await this.get(id);
    if (pending) await this.store.put("pending", { ...pending, send: true });
  }

  async remove(id) {
    await this.store.delete("pending", id);
  }

  // Keep the device's version of a conflicting draft: sent again over the one the server has.
  async keepMine(id) {
    const pending = await this.get(id);
    if (!pending || !pending.current) return;
    const revision = pending.current.revision;
    await this.store.put("pending", { ...pending, revision, state: PendingState.WAITING, current: null, error: null });
  }

  // Upload what waits, in order; at most one upload at a time. Answers what happened.
  flush() {
    if (!this.flushing) {
      this.flushing = this.upload().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  async upload() {
    const outcome = { uploaded: [], sent: [], conflicts: [], refused: [], stopped: null, draftCount: null };
    for (const pending of await this.all()) {
      if (pending.state !== PendingState.WAITING) continue;
      const stage = pending.op === "send" ? "send" : "upload";
      try {
        if (stage === "upload") {
          const answer = await this.uploadOne(pending);
          outcome.uploaded.push(pending.id);
          outcome.draftCount = answer.draftCount;
          if (pending.send) await this.store.put("pending", { ...pending, op: "send" });
        }
        if (pending.send) {
          await api("POST", `/api/drafts/${encodeURIComponent(pending.id)}/submit`);
          outcome.sent.push(pending.id);
        }
        await this.remove(pending.id);
      } catch (error) {
        if (isOffline(error) || error.status === 401 || error.status >= 500) {
          outcome.stopped = isOffline(error) ? "offline" : error.status === 401 ? "signed_out" : "unavailable";
          break;
        }
        if (stage === "upload" && outcome.uploaded.at(-1) === pending.id) {
          // uploaded, but the ERP will not take it as it is: the drafts page says why
          await this.remove(pending.id);
          outcome.refused.push(pending.id);
          continue;
        }
        const current = error.body && error.body.current;
        const state = current ? PendingState.CONFLICT : PendingState.REFUSED;
        await this.store.put("pending", { ...pending, state, current: current || null, error: error.message });
        (current ? outcome.conflicts : outcome.refused).push(pending.id);
      }
    }
    return outcome;
  }

  async uploadOne(pending) {
    const url = `/api/drafts/${encodeURIComponent(pending.id)}`;
    if (pending.op === "create") {
      return api("POST", "/api/drafts", { id: pending.id, ...pending.body });
    }
    return api("PUT", url, { ...pending.body, base_revision: pending.revision });
  }
}
