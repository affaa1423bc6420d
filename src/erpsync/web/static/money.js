// Order arithmetic in integer cents, the same rules as erpsync/domain/drafts.py:
// a line's net is rounded half up to the cent; VAT per rate on the sum of the nets at that rate.

const DECIMAL = /^\s*(\d{1,9})(?:[.,](\d{0,2}))?\s*$/;

// "12,5" -> 1250 (hundredths); null if not a non-negative number with at most two decimals.
export function parseHundredths(text) {
  const match = DECIMAL.exec(String(text));
  if (!match) return null;
  const fraction = (match[2] || "").padEnd(2, "0");
  return Number(match[1]) * 100 + Number(fraction);
}

export function hundredthsText(value) {
  const whole = Math.floor(value / 100);
  const fraction = String(value % 100).padStart(2, "0");
  return `${whole}.${fraction}`;
}

function divideHalfUp(numerator, denominator) {
  return Math.floor((numerator + denominator / 2) / denominator);
}

// qty pieces at priceCents each, less discount (hundredths of a percent).
export function lineNetCents(qty, priceCents, discountHundredths) {
  return divideHalfUp(qty * priceCents * (10000 - discountHundredths), 10000);
}

// lines: [{netCents, vatRate (hundredths of a percent)}] -> {net, vat, total} in cents.
export function orderTotals(lines) {
  const taxable = new Map();
  for (const line of lines) {
    taxable.set(line.vatRate, (taxable.get(line.vatRate) || 0) + line.netCents);
  }
  let net = 0;
  let vat = 0;
  for (const [rate, amount] of taxable) {
    net += amount;
    vat += divideHalfUp(amount * rate, 10000);
  }
  return { net, vat, total: net + vat };
}

// What is wrong with ordering qty of a product: [{kind, n, blocking}], blocking first.
export function qtyIssues(qty, { minQty, multipleQty, packageSize }) {
  if (!Number.isInteger(qty) || qty <= 0) return [{ kind: "not_positive", blocking: true }];
  const issues = [];
  if (minQty && qty < minQty) issues.push({ kind: "below_minimum", n: minQty, blocking: true });
  if (multipleQty > 1 && qty % multipleQty) {
    issues.push({ kind: "not_multiple", n: multipleQty, blocking: true });
  }
  if (packageSize > 1 && qty % packageSize) {
    issues.push({ kind: "partial_package", n: packageSize, blocking: false });
  }
  return issues;
}

// The smallest quantity that may be ordered.
export function firstValidQty({ minQty, multipleQty }) {
  const step = multipleQty > 1 ? multipleQty : 1;
  const least = Math.max(minQty || 1, 1);
  return Math.ceil(least / step) * step;
}
