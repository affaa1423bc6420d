// The agent's slice of the mirror on the device: the first download is one request per kind,
// the next ones only what changed since (GET /api/offline/{kind}?since=…). The browser keeps
// each answer with its ETag and asks again with If-None-Match, so an unchanged slice costs a
// 304.

import { ApiError, getJson } from "./api.js";
import { CUSTOMER_FIELDS, LocalIndex, PRODUCT_FIELDS, customerOrder, productOrder, proposedPrice, today } from "./text_match.js";

export const KINDS = ["customers", "products", "prices"];

const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());

// Rows as [value, …] under one list of field names, into records as the API shapes them.
function records(fields, rows) {
  const names = fields.map(camel);
  return rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
}

export class DeviceSlice {
  constructor(store) {
    this.store = store;
    this.indexes = null;
    // Bumped by every refresh: an index built from what was read before it is not kept.
    this.generation = 0;
  }

  // Download what changed of every kind; answers whether the device is now up to date.
  async refresh() {
    for (const kind of KINDS) {
      const meta = await this.store.meta(`slice.${kind}`);
      const since = meta && meta.cursor ? `?since=${encodeURIComponent(meta.cursor)}` : "";
      const answer = await getJson(`/api/offline/${kind}${since}`);
      const upserts = records(answer.fields, answer.rows);
      await this.store.apply(
        kind,
        { full: answer.full, upserts, deleted: answer.deleted || [] },
        {
          name: `slice.${kind}`,
          cursor: answer.cursor,
          // the device's own time: a 304 answers with the body (and generatedAt) kept before
          at: new Date().toISOString(),
          priceList: answer.priceList ?? (meta && meta.priceList) ?? null,
        },
      );
    }
    this.indexes = null;
    this.generation += 1;
    return true;
  }

  // Whether a slice was ever downloaded, and when (the oldest kind's time).
  async age() {
    let oldest = null;
    for (const kind of KINDS) {
      const meta = await this.store.meta(`slice.${kind}`);
      if (!meta || !meta.at) return null;
      if (oldest === null || meta.at < oldest) oldest = meta.at;
    }
    return oldest;
  }

  async load() {
    if (this.indexes) return this.indexes;
    const generation = this.generation;
    const [customers, products, prices, meta] = await Promise.all([
      this.store.all("customers"),
      this.store.all("products"),
      this.store.all("prices"),
      this.store.meta("slice.prices"),
    ]);
    const byProduct = new Map();
    for (const price of prices) {
      if (!byProduct.has(price.productCode)) byProduct.set(price.productCode, []);
      byProduct.get(price.productCode).push(price);
    }
    const indexes = {
      customers: new LocalIndex(customers, CUSTOMER_FIELDS, customerOrder),
      products: new LocalIndex(products, PRODUCT_FIELDS, productOrder),
      productsByCode: new Map(products.map((p) => [p.code, p])),
      prices: byProduct,
      priceList: meta ? meta.priceList : null,
    };
    if (generation === this.generation) this.indexes = indexes;
    return indexes;
  }

  async customers(query) {
    return (await this.load()).customers.search(query);
  }

  async products(query) {
    return (await this.load()).products.search(query);
  }

  // As GET /api/products/{code}/prices answers, from the device.
  async productPrices(code) {
    const indexes = await this.load();
    const product = indexes.productsByCode.get(code);
    if (!product) throw new ApiError(404, `product '${code}' not found`, null);
    const { prices, proposed } = proposedPrice(indexes.prices.get(code) || [], indexes.priceList, today());
    return { product, prices, proposed };
  }
}
