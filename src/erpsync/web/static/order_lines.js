// The product lines of the order form: quantity rules, editable price and discount, totals.

import { formatCents, lang, t } from "./i18n.js";
import {
  firstValidQty,
  hundredthsText,
  lineNetCents,
  orderTotals,
  parseHundredths,
  qtyIssues,
} from "./money.js";

function cell(className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  return td;
}

function numberInput(name, label, value) {
  const input = document.createElement("input");
  input.name = name;
  input.value = value;
  input.setAttribute("aria-label", label);
  input.autocomplete = "off";
  return input;
}

// Decimals as typed in the page's language ("12,50" in Italian); both separators are accepted.
function decimalText(hundredths) {
  const text = hundredthsText(hundredths);
  return lang === "it" ? text.replace(".", ",") : text;
}

function ruleHint(product, listCode) {
  const parts = [];
  if (product.minQty > 1) parts.push(t("order.qty.min", { n: product.minQty }));
  if (product.multipleQty > 1) parts.push(t("order.qty.multiple", { n: product.multipleQty }));
  if (product.packageSize > 1) parts.push(t("order.qty.package", { n: product.packageSize }));
  parts.push(listCode ? t("order.product.list", { list: listCode }) : t("order.product.no_price"));
  return parts.join(" · ");
}

class Line {
  constructor(product, { qty, priceCents, discount, listCode }, onChange, onRemove) {
    this.product = product;
    this.row = document.createElement("tr");
    this.row.dataset.product = product.code;
    const name = cell("product");
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = product.code;
    const hint = document.createElement("div");
    hint.className = "hint muted";
    hint.textContent = ruleHint(product, listCode);
    this.message = document.createElement("div");
    this.message.className = "line-error";
    name.append(code, " ", product.description, hint, this.message);

    this.qty = numberInput("qty", t("order.lines.qty"), String(qty ?? firstValidQty(product)));
    this.qty.type = "number";
    this.qty.min = String(firstValidQty(product));
    this.qty.step = String(product.multipleQty > 1 ? product.multipleQty : 1);
    this.qty.inputMode = "numeric";
    const price = priceCents == null ? "" : decimalText(priceCents);
    this.price = numberInput("price", t("order.lines.price"), price);
    this.price.inputMode = "decimal";
    const discountText = decimalText(parseHundredths(discount ?? "0") ?? 0).replace(/[.,]00$/, "");
    this.discount = numberInput("discount", t("order.lines.discount"), discountText);
    this.discount.inputMode = "decimal";
    this.net = cell("num net");

    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link remove";
    remove.textContent = "×";
    remove.title = t("order.lines.remove");
    remove.setAttribute("aria-label", t("order.lines.remove"));
    remove.addEventListener("click", () => onRemove(this));

    const qtyCell = cell("num");
    qtyCell.append(this.qty);
    const priceCell = cell("num");
    priceCell.append(this.price);
    const discountCell = cell("num");
    discountCell.append(this.discount);
    const removeCell = cell();
    removeCell.append(remove);
    this.row.append(name, qtyCell, priceCell, discountCell, this.net, removeCell);
    for (const input of [this.qty, this.price, this.discount]) {
      input.addEventListener("input", () => onChange());
    }
  }

  // {ok, netCents, problem} for the values typed now.
  evaluate() {
    const qty = Number(this.qty.value);
    const priceCents = parseHundredths(this.price.value);
    const discount = parseHundredths(this.discount.value);
    const issues = qtyIssues(qty, this.product);
    const blocking = issues.find((issue) => issue.blocking);
    let problem = null;
    if (blocking) problem = t(`order.qty.${blocking.kind}`, { n: blocking.n });
    else if (priceCents == null) problem = t("order.price.invalid");
    else if (discount == null || discount > 10000) problem = t("order.discount.invalid");
    const warning = issues.find((issue) => !issue.blocking);
    const note = problem || (warning ? t(`order.qty.${warning.kind}`, { n: warning.n }) : "");
    this.message.textContent = note;
    this.row.classList.toggle("invalid", Boolean(problem));
    this.row.classList.toggle("warning", !problem && Boolean(warning));
    const netCents = problem ? 0 : lineNetCents(qty, priceCents, discount);
    this.net.textContent = problem ? "—" : formatCents(netCents);
    return { ok: !problem, netCents, qty, priceCents, discount };
  }

  payload() {
    const { qty, priceCents, discount } = this.evaluate();
    return {
      product_code: this.product.code,
      qty,
      unit_price: hundredthsText(priceCents),
      discount: hundredthsText(discount),
    };
  }
}

export class OrderLines {
  constructor({ body, emptyNote, onChange }) {
    this.body = body;
    this.emptyNote = emptyNote;
    this.onChange = onChange;
    this.lines = [];
  }

  add(product, values) {
    const line = new Line(product, values, () => this.onChange(), (gone) => this.remove(gone));
    this.lines.push(line);
    this.body.append(line.row);
    this.changed();
    return line;
  }

  remove(line) {
    this.lines = this.lines.filter((other) => other !== line);
    line.row.remove();
    this.changed();
  }

  clear() {
    this.lines = [];
    this.body.replaceChildren();
    this.changed();
  }

  changed() {
    this.emptyNote.hidden = this.lines.length > 0;
    this.onChange();
  }

  // {ok, totals: {net, vat, total}} over every line.
  evaluate() {
    const results = this.lines.map((line) => ({
      ...line.evaluate(),
      vatRate: parseHundredths(line.product.vatRate) ?? 0,
    }));
    return {
      ok: results.every((r) => r.ok),
      totals: orderTotals(results.filter((r) => r.ok)),
    };
  }

  payload() {
    return this.lines.map((line) => line.payload());
  }
}
