// Search as you type: a text input and a list of results to pick from (mouse or keyboard).

import { isAbort } from "./api.js";

const DEBOUNCE_MS = 120;

export class SearchPicker {
  constructor({ input, list, search, describe, onPick, emptyText }) {
    this.input = input;
    this.list = list;
    this.search = search;
    this.describe = describe;
    this.onPick = onPick;
    this.emptyText = emptyText;
    this.items = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    input.addEventListener("input", () => this.schedule());
    input.addEventListener("focus", () => this.schedule());
    input.addEventListener("keydown", (event) => this.key(event));
    // Later than a click on a result; not when the input has the focus back by then.
    input.addEventListener("blur", () =>
      setTimeout(() => document.activeElement !== input && this.hide(), 150),
    );
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest("li[data-index]");
      if (option) this.pick(Number(option.dataset.index));
    });
    // Focused, maybe typed in, before the page's script was ready (a slow phone, the device's
    // store still opening): those events came before these listeners, so the search runs now.
    if (document.activeElement === input) this.schedule();
  }

  // The choice was made otherwise (a customer given by the page, a draft opened): a search
  // still to come or in flight is dropped, and its list with it.
  cancel() {
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.hide();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  // The data behind the search changed: a list still shown is searched again.
  refresh() {
    if (!this.list.hidden && document.activeElement === this.input) this.schedule();
  }

  async run() {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const items = await this.search(this.input.value.trim(), controller.signal);
      if (controller.signal.aborted) return;
      this.show(items);
    } catch (error) {
      if (!isAbort(error)) this.showMessage(error.message);
    }
  }

  show(items) {
    // The same results again (a refresh): the highlighted one stays, so Enter picks it.
    const same =
      items.length === this.items.length && items.every((item, i) => item.code === this.items[i].code);
    this.items = items;
    if (!same || this.active >= items.length) this.active = items.length ? 0 : -1;
    this.list.replaceChildren();
    if (!items.length) {
      this.showMessage(this.emptyText);
      return;
    }
    items.forEach((item, index) => {
      const option = document.createElement("li");
      option.setAttribute("role", "option");
      option.dataset.index = String(index);
      option.dataset.code = item.code;
      option.id = `${this.list.id}-${index}`;
      const { title, detail } = this.describe(item);
      const strong = document.createElement("strong");
      strong.textContent = title;
      const small = document.createElement("span");
      small.className = "muted";
      small.textContent = detail;
      option.append(strong, " ", small);
      this.list.append(option);
    });
    this.highlight();
    this.list.hidden = false;
  }

  showMessage(text) {
    const note = document.createElement("li");
    note.className = "muted empty";
    note.textContent = text;
    this.list.replaceChildren(note);
    this.list.hidden = false;
  }

  highlight() {
    for (const option of this.list.querySelectorAll("li[data-index]")) {
      const on = Number(option.dataset.index) === this.active;
      option.setAttribute("aria-selected", on ? "true" : "false");
      if (on) this.input.setAttribute("aria-activedescendant", option.id);
    }
  }

  key(event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!this.items.length) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.items.length) % this.items.length;
      this.highlight();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.active >= 0) this.pick(this.active);
    } else if (event.key === "Escape") {
      this.hide();
    }
  }

  pick(index) {
    const item = this.items[index];
    if (!item) return;
    this.hide();
    this.onPick(item);
  }

  hide() {
    this.list.hidden = true;
    this.input.removeAttribute("aria-activedescendant");
  }
}
