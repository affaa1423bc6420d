// A timeline of recent sync runs as inline SVG: one row per type, one bar per stretch a run
// ran in (a run that gave way to an order form and went on later shows as two bars).

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

// runs: [{type, status, segments: [{start, end}], runningSince}]; types: ordered type names.
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
    const stretches = run.segments.map((segment) => [segment.start, segment.end]);
    if (run.runningSince) stretches.push([run.runningSince, null]);
    stretches.forEach(([from, to], index) => {
      const fromMs = new Date(from).getTime();
      const toMs = to ? new Date(to).getTime() : end;
      if (toMs < start) return;
      const left = x(Math.max(fromMs, start));
      const bar = node("rect", {
        x: left,
        y: AXIS + row * ROW + 5,
        width: Math.max(3, x(toMs) - left),
        height: ROW - 10,
        rx: 2,
        class: `run status-${run.status}${index ? " continued" : ""}`,
        "data-type": run.type,
        "data-run": String(run.id),
      });
      bar.append(node("title", {}, tooltip(run)));
      svg.append(bar);
    });
  }
  container.replaceChildren(svg);
}
