// The device's side of a page: the signed-in agent's store, slice and pending drafts, whether
// the network answers, and the upload when it comes back. Pages without a signed-in user, or
// browsers without IndexedDB, get no device (everything then goes to the server as before).

import { getJson } from "./api.js";
import { DeviceSlice } from "./device_slice.js";
import { DeviceStore } from "./device_store.js";
import { PendingDrafts, isOffline } from "./device_drafts.js";

export class Device {
  static async open() {
    const userId = document.body.dataset.user;
    if (!userId || !("indexedDB" in window)) return null;
    try {
      return new Device(await DeviceStore.open(userId), document.body.dataset.userName);
    } catch {
      return null;
    }
  }

  constructor(store, userName) {
    this.store = store;
    this.userName = userName;
    this.slice = new DeviceSlice(store);
    this.pending = new PendingDrafts(store);
  }

  // Download what changed; false when the network or the server did not answer.
  async refresh() {
    try {
      return await this.slice.refresh();
    } catch {
      return false;
    }
  }

  // Upload what waits, but only as the agent who entered it: after a lapsed sign-in, or with
  // someone else signed in on this device, it stays here.
  async flush() {
    let me;
    try {
      me = await getJson("/api/me");
    } catch (error) {
      return { stopped: isOffline(error) ? "offline" : "signed_out", uploaded: [], sent: [], conflicts: [], refused: [] };
    }
    if (me.name !== this.userName) {
      return { stopped: "other_user", uploaded: [], sent: [], conflicts: [], refused: [] };
    }
    const outcome = await this.pending.flush();
    if (outcome.draftCount !== null && outcome.draftCount !== undefined) {
      await this.setServerDraftCount(outcome.draftCount);
    }
    return outcome;
  }

  async serverDraftCount(fallback = 0) {
    const meta = await this.store.meta("drafts");
    return meta ? meta.count : fallback;
  }

  async setServerDraftCount(count) {
    await this.store.setMeta("drafts", { count });
  }

  // The banner's count: the drafts the server has and the new ones waiting on the device.
  async draftCount(fallback = 0) {
    return (await this.serverDraftCount(fallback)) + (await this.pending.newCount());
  }
}
