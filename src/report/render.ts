// Rendering: Vega-Lite spec -> SVG (vega, headless) -> PNG (resvg, offline with system fonts).
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { writeFileAtomic } from './files.js';

/** A Vega-Lite specification, as built by the chart helpers or by hand. */
export type ChartSpec = vegaLite.TopLevelSpec;

/** Options of `svgToPng` and `writeChart`. */
export interface PngOptions {
  /** Pixel density: 2 (default) renders a 400-px-wide SVG as an 800-px-wide PNG. */
  scale?: number;
  /** Font used for `sans-serif` text; default 'DejaVu Sans'. A missing font falls back to any system font. */
  fontFamily?: string;
}

/** Shared look of every chart: sans-serif text, white background, readable title sizes. */
export const chartConfig = {
  font: 'sans-serif',
  background: 'white',
  title: { fontSize: 15, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
} as const;

/** Compiles a Vega-Lite spec and renders it headlessly to an SVG document string. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const runtime = vega.parse(vegaLite.compile(spec).spec);
  const view = new vega.View(runtime, { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG document to PNG bytes, offline, with system fonts. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const family = options.fontFamily ?? 'DejaVu Sans';
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: family, sansSerifFamily: family },
  });
  return resvg.render().asPng();
}

/** Paths written by `writeChart`. */
export interface ChartFiles {
  svg: string;
  png: string;
}

/** Renders `spec` and writes `<basePath>.svg` and `<basePath>.png` atomically. */
export async function writeChart(basePath: string, spec: ChartSpec, options: PngOptions = {}): Promise<ChartFiles> {
  const svg = await renderSvg(spec);
  return writeSvgAndPng(basePath, svg, options);
}

/** Writes an SVG document and its PNG rendering as `<basePath>.svg` and `<basePath>.png`. */
export function writeSvgAndPng(basePath: string, svg: string, options: PngOptions = {}): ChartFiles {
  const files = { svg: `${basePath}.svg`, png: `${basePath}.png` };
  writeFileAtomic(files.svg, svg);
  writeFileAtomic(files.png, svgToPng(svg, options));
  return files;
}
