// The order form's session with the server: one per tab (its id lives in sessionStorage, so a
// reload is the same tab), and one instance per load of the page, so the late goodbye of the
// page a reload replaced is not taken for the new page's. Entering registers it and runs the
// Smart Customer Sync; heartbeats keep its lease; user activity is reported (throttled) so the
// safety timeout knows the form is in use; leaving says goodbye with navigator.sendBeacon.
// When a heartbeat learns the session was dropped (safety timeout), the next user activity
// registers it again.

import { postJson } from "./api.js";

const STORAGE_KEY = "erpsync.formSession";
const RESUME_URL = "/api/customers/resume-syncs";
const ACTIVITY_EVENTS = ["keydown", "input", "pointerdown", "change", "wheel", "touchstart"];

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export { randomId };

export class FormSession {
  constructor({ heartbeatS, activityS, onSyncStart, onSyncEnd, onDropped }) {
    this.heartbeatMs = heartbeatS * 1000;
    this.activityMs = activityS * 1000;
    this.onSyncStart = onSyncStart;
    this.onSyncEnd = onSyncEnd;
    this.onDropped = onDropped;
    this.id = sessionStorage.getItem(STORAGE_KEY) || randomId();
    sessionStorage.setItem(STORAGE_KEY, this.id);
    this.instance = randomId();
    this.known = false;
    this.closed = false;
    this.pendingActivity = false;
    this.lastReport = 0;
    this.registering = null;
    this.timer = null;
  }

  start() {
    for (const type of ACTIVITY_EVENTS) {
      window.addEventListener(type, () => this.activity(), { capture: true, passive: true });
    }
    window.addEventListener("pagehide", () => this.leave());
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.register();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.beat();
    });
    return this.register();
  }

  register() {
    if (this.registering) return this.registering;
    this.closed = false;
    this.known = true;
    this.lastReport = Date.now();
    this.startHeartbeat();
    this.onSyncStart();
    // The first heartbeat follows at once: it confirms the registration and starts the lease.
    const body = { session_id: this.id, instance: this.instance };
    this.registering = postJson("/api/customers/smart-sync", body)
      .then(async (answer) => {
        await this.beat(true);
        this.onSyncEnd(answer, null);
      })
      .catch((error) => this.onSyncEnd(null, error))
      .finally(() => {
        this.registering = null;
      });
    return this.registering;
  }

  startHeartbeat() {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.beat(), this.heartbeatMs);
  }

  activity() {
    if (this.closed) return;
    if (!this.known) {
      this.register();
      return;
    }
    this.pendingActivity = true;
    if (Date.now() - this.lastReport >= this.activityMs) this.beat();
  }

  async beat(registering = false) {
    if (this.closed || !this.known) return;
    const active = this.pendingActivity;
    this.pendingActivity = false;
    if (active) this.lastReport = Date.now();
    try {
      const answer = await postJson("/api/customers/heartbeat", { session_id: this.id, active });
      if (!answer.known && (registering || !this.registering) && !this.closed) {
        this.known = false;
        clearInterval(this.timer);
        this.onDropped();
      }
    } catch {
      this.pendingActivity = this.pendingActivity || active;
    }
  }

  // "Fatto": close the session and wait for the answer before navigating away.
  async finish() {
    this.closed = true;
    clearInterval(this.timer);
    try {
      await postJson(
        RESUME_URL,
        { session_id: this.id, instance: this.instance },
        { keepalive: true },
      );
    } catch {
      this.sendBeacon();
    }
  }

  // The tab is going away (navigation, reload, close): a beacon survives the unload.
  leave() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.sendBeacon();
  }

  sendBeacon() {
    const body = new URLSearchParams({ session_id: this.id, instance: this.instance });
    if (!navigator.sendBeacon(RESUME_URL, body)) {
      fetch(RESUME_URL, { method: "POST", body, keepalive: true, credentials: "same-origin" });
    }
  }
}
