/**
 * A small pure SVG renderer for benchmark curves: panels side by side, each with log-scaled
 * axes (the figures span decades: 10 to 1,000 nodes, one to hundreds of image sizes), axis
 * labels, a legend, and a line with markers per series. State in, text out; no DOM, no
 * dependency.
 */

/** One curve: its points (x, y > 0), drawn as a line with markers; `dashed` for predictions. */
export interface PlotSeries {
  name: string;
  colour: string;
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
}

/** One panel: a title, its axes' labels and its curves. */
export interface PlotPanel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly PlotSeries[];
}

const PANEL_WIDTH = 460;
const PANEL_HEIGHT = 340;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 55 };

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A number as a tick label: 1,000 not 1e3; 0.5 not .5. */
function tickLabel(value: number): string {
  if (value >= 1) return Math.round(value).toLocaleString("en-GB");
  return String(Number(value.toPrecision(2)));
}

/** Log-axis ticks covering [min, max]: the decades, and 2 and 5 between them when the range is under two decades. */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const steps = high - low <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let decade = low; decade <= high; decade++) {
    for (const step of steps) {
      const value = step * 10 ** decade;
      if (value >= min / 1.0001 && value <= max * 1.0001) ticks.push(Number(value.toPrecision(6)));
    }
  }
  return ticks;
}

/** The axis range: the data's, widened to whole decades on a log scale. */
function logRange(values: readonly number[]): [number, number] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return [10 ** Math.floor(Math.log10(min)), 10 ** Math.ceil(Math.log10(max === min ? max * 10 : max))];
}

function renderPanel(panel: PlotPanel, offsetX: number): string {
  const points = panel.series.flatMap((s) => s.points);
  if (points.some(([x, y]) => !(x > 0) || !(y > 0))) throw new RangeError(`panel "${panel.title}": log axes need positive values`);
  const [xMin, xMax] = logRange(points.map(([x]) => x));
  const [yMin, yMax] = logRange(points.map(([, y]) => y));
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => offsetX + MARGIN.left + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotWidth;
  const sy = (y: number) => MARGIN.top + plotHeight - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotHeight;
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(`<text x="${f(offsetX + PANEL_WIDTH / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>`);
  for (const x of logTicks(xMin, xMax)) {
    out.push(`<line x1="${f(sx(x))}" y1="${MARGIN.top}" x2="${f(sx(x))}" y2="${MARGIN.top + plotHeight}" stroke="#ddd"/>`);
    out.push(`<text x="${f(sx(x))}" y="${MARGIN.top + plotHeight + 17}" text-anchor="middle" font-size="12">${tickLabel(x)}</text>`);
  }
  for (const y of logTicks(yMin, yMax)) {
    out.push(`<line x1="${offsetX + MARGIN.left}" y1="${f(sy(y))}" x2="${offsetX + MARGIN.left + plotWidth}" y2="${f(sy(y))}" stroke="#ddd"/>`);
    out.push(`<text x="${offsetX + MARGIN.left - 6}" y="${f(sy(y) + 4)}" text-anchor="end" font-size="12">${tickLabel(y)}</text>`);
  }
  out.push(`<rect x="${offsetX + MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${f(offsetX + MARGIN.left + plotWidth / 2)}" y="${PANEL_HEIGHT - 12}" text-anchor="middle" font-size="13">${escapeXml(panel.xLabel)}</text>`);
  const yMid = MARGIN.top + plotHeight / 2;
  out.push(`<text x="${offsetX + 16}" y="${f(yMid)}" text-anchor="middle" font-size="13" transform="rotate(-90 ${offsetX + 16} ${f(yMid)})">${escapeXml(panel.yLabel)}</text>`);
  panel.series.forEach((series, i) => {
    const path = series.points.map(([x, y], j) => `${j === 0 ? "M" : "L"}${f(sx(x))},${f(sy(y))}`).join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${series.colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    for (const [x, y] of series.points) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="3.5" fill="${series.dashed ? "white" : series.colour}" stroke="${series.colour}"/>`);
    const legendY = MARGIN.top + 14 + i * 17;
    const legendX = offsetX + MARGIN.left + 10;
    out.push(`<line x1="${legendX}" y1="${legendY - 4}" x2="${legendX + 22}" y2="${legendY - 4}" stroke="${series.colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    out.push(`<text x="${legendX + 28}" y="${legendY}" font-size="12">${escapeXml(series.name)}</text>`);
  });
  return out.join("\n");
}

/** The panels side by side in one SVG document, with an optional caption line under them. */
export function renderPlot(panels: readonly PlotPanel[], caption?: string): string {
  const width = PANEL_WIDTH * panels.length;
  const height = PANEL_HEIGHT + (caption ? 24 : 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels.map((panel, i) => renderPanel(panel, i * PANEL_WIDTH)),
    ...(caption ? [`<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(caption)}</text>`] : []),
    "</svg>",
    "",
  ].join("\n");
}
