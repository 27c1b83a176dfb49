// Text tables for experiment and search results: Markdown (BENCHMARKS.md, table.md) and an
// aligned plain form for the terminal, from the same header and rows.

/** A table as a header and rows of cell text. */
export interface TextTable {
  header: string[];
  rows: string[][];
}

/** GitHub Markdown: `| a | b |` lines with a `|---|` rule. */
export function markdownTable(table: TextTable): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(table.header), line(table.header.map(() => '---')), ...table.rows.map(line)].join('\n') + '\n';
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function alignedTable(table: TextTable): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(table.header), ...table.rows.map(line)].join('\n') + '\n';
}

/** 0.97345 -> '97.35%'. */
export function percent(x: number, digits = 2): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : String(x);
}
