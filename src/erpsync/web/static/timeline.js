// A timeline of recent sync runs as inline SVG: one row per type, one bar per run.

const SVG = "http://www.w3.org/2000/svg";
const ROW = 24;
const LABEL = 110;
const AXIS = 22;

function node(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text != null) element.textContent = text;
  return element;
}

// runs: [{type, status, startedAt, finishedAt}]; types: ordered type names.
// label(type) and tooltip(run) give the texts; tick(date) formats an axis time.
export function drawTimeline(container, { runs, types, now, hours, label, tooltip, tick }) {
  const width = Math.max(container.clientWidth || 0, 480);
  const height = AXIS + ROW * types.length + 4;
  const end = now.getTime();
  const start = end - hours * 3600 * 1000;
  const x = (time) => LABEL + ((time - start) / (end - start)) * (width - LABEL - 8);
  const svg = node("svg", {
    width: String(width),
    height: String(height),
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    class: "timeline-svg",
  });

  const stepMinutes = hours <= 1 ? 10 : hours <= 3 ? 30 : 60;
  const stepMs = stepMinutes * 60 * 1000;
  for (let time = Math.ceil(start / stepMs) * stepMs; time <= end; time += stepMs) {
    svg.append(
      node("line", { x1: x(time), x2: x(time), y1: AXIS - 4, y2: height, class: "grid" }),
      node("text", { x: x(time), y: AXIS - 8, class: "tick" }, tick(new Date(time))),
    );
  }

  types.forEach((type, index) => {
    const y = AXIS + index * ROW;
    svg.append(
      node("rect", { x: 0, y, width, height: ROW, class: index % 2 ? "band odd" : "band" }),
      node("text", { x: 6, y: y + ROW / 2 + 4, class: "row-label" }, label(type)),
    );
  });

  for (const run of runs) {
    const row = types.indexOf(run.type);
    if (row < 0) continue;
    const from = new Date(run.startedAt).getTime();
    const to = run.finishedAt ? new Date(run.finishedAt).getTime() : end;
    if (to < start) continue;
    const left = x(Math.max(from, start));
    const bar = node("rect", {
      x: left,
      y: AXIS + row * ROW + 5,
      width: Math.max(3, x(to) - left),
      height: ROW - 10,
      rx: 2,
      class: `run status-${run.status}`,
      "data-type": run.type,
    });
    bar.append(node("title", {}, tooltip(run)));
    svg.append(bar);
  }
  container.replaceChildren(svg);
}
