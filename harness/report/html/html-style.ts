/** The report's whole stylesheet, inlined: readable on a laptop, printable, no web fonts. */
export const HTML_STYLE = `
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-soft: #f6f8fa;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9;
  --warn: #9a6700; --warn-bg: #fff8c5; --info: #0969da; --info-bg: #ddf4ff;
}
* { box-sizing: border-box; }
body {
  margin: 0; color: var(--fg); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", sans-serif;
}
main { max-width: 1180px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 0 0 6px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
h3 { font-size: 15px; margin: 16px 0 6px; }
a { color: var(--info); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.verdict { font-size: 16px; font-weight: 600; margin: 4px 0 10px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 12px; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.counts { display: flex; gap: 6px; flex-wrap: wrap; margin: 8px 0 16px; }
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap;
}
.s-passed { color: var(--ok); background: var(--ok-bg); }
.s-failed { color: var(--bad); background: var(--bad-bg); }
.s-errored, .s-timedout, .s-inconclusive, .s-interrupted, .s-unknown { color: var(--warn); background: var(--warn-bg); }
.unexpected { color: var(--bad); font-weight: 600; }
.expected-ok { color: var(--ok); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.overview td:first-child { min-width: 12em; overflow-wrap: anywhere; }
table.overview th, table.overview td { padding: 5px 6px; }
.reason { display: block; font-size: 12px; color: var(--muted); }
tr.row-unexpected td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
th button {
  all: unset; cursor: pointer; display: inline-flex; gap: 4px; align-items: center;
}
th button:focus-visible { outline: 2px solid var(--info); outline-offset: 2px; }
th button::after { content: "↕"; color: var(--muted); font-size: 11px; }
th[aria-sort="ascending"] button::after { content: "▲"; color: var(--fg); }
th[aria-sort="descending"] button::after { content: "▼"; color: var(--fg); }
section.cell { border-top: 2px solid var(--line); margin-top: 28px; padding-top: 14px; }
.cell-id { overflow-wrap: anywhere; }
.axes { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0 8px; color: var(--muted); }
.axes b { color: var(--fg); font-weight: 600; }
.error { background: var(--warn-bg); border-left: 3px solid var(--warn); padding: 6px 10px; overflow-wrap: anywhere; }
.checks td.msg { overflow-wrap: anywhere; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--muted); }
.charts { display: grid; gap: 10px; margin: 10px 0; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 4px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figure.chart figcaption { font-size: 12px; color: var(--muted); padding: 2px 6px; }
ul.files { columns: 3 220px; padding-left: 18px; margin: 4px 0; }
ul.files li { break-inside: avoid; overflow-wrap: anywhere; }
ul.plain { margin: 4px 0; padding-left: 18px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  th button::after { content: ""; }
  section.cell { break-before: page; border-top: none; }
  figure.chart, table, .error { break-inside: avoid; }
  summary { color: var(--fg); }
  .no-print { display: none; }
}
`;
