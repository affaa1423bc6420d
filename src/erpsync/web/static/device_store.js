// What the device keeps for offline use, in IndexedDB: the agent's slice of the mirror
// (customers, products, prices), where each slice's next delta starts, and the drafts entered
// offline until the server has them. One database per signed-in user, so another agent
// signing in on the same device never sees (or sends) what the first one entered.

const VERSION = 1;
const STORES = {
  customers: { keyPath: "code" },
  products: { keyPath: "code" },
  prices: { keyPath: "id" },
  meta: { keyPath: "name" },
  pending: { keyPath: "id" },
};

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

export function databaseName(userId) {
  return `erpsync-user-${userId}`;
}

export class DeviceStore {
  static async open(userId) {
    const opening = indexedDB.open(databaseName(userId), VERSION);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      for (const [name, options] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, options);
      }
    };
    return new DeviceStore(await request(opening));
  }

  constructor(db) {
    this.db = db;
  }

  async all(store) {
    return request(this.db.transaction(store).objectStore(store).getAll());
  }

  async get(store, key) {
    return request(this.db.transaction(store).objectStore(store).get(key));
  }

  async put(store, value) {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).put(value);
    return done(tx);
  }

  async delete(store, key) {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).delete(key);
    return done(tx);
  }

  // A slice's delta in one transaction with its new cursor: a delta half applied never is.
  async apply(store, { full, upserts, deleted }, meta) {
    const tx = this.db.transaction([store, "meta"], "readwrite");
    const target = tx.objectStore(store);
    if (full) target.clear();
    for (const row of upserts) target.put(row);
    for (const key of deleted) target.delete(key);
    tx.objectStore("meta").put(meta);
    return done(tx);
  }

  async meta(name) {
    return (await this.get("meta", name)) || null;
  }

  async setMeta(name, value) {
    return this.put("meta", { name, ...value });
  }
}
