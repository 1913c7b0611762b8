import { createHash } from 'node:crypto';

/**
 * The report's only script: click a header of a `table.sortable` to sort its rows (numbers by
 * `data-sort`, text otherwise; blanks last; ties keep the default order), and open every
 * <details> while printing. The page reads the same without it.
 */
export const SORT_SCRIPT = `
(() => {
  const compare = (a, b) => {
    const x = Number(a);
    const y = Number(b);
    if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
    return a.localeCompare(b);
  };
  for (const table of document.querySelectorAll('table.sortable')) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, column) => {
      const button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', () => {
        const direction = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
        for (const h of heads) h.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', direction);
        const body = table.tBodies[0];
        const key = (row) => {
          const cell = row.cells[column];
          const value = cell.getAttribute('data-sort');
          return value === null ? cell.textContent.trim() : value;
        };
        const sign = direction === 'ascending' ? 1 : -1;
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const ka = key(a);
          const kb = key(b);
          const blank = (ka === '') - (kb === '');
          return blank || sign * compare(ka, kb) || Number(a.dataset.order) - Number(b.dataset.order);
        });
        for (const row of rows) body.appendChild(row);
      });
    });
  }
  const opened = [];
  window.addEventListener('beforeprint', () => {
    for (const d of document.querySelectorAll('details:not([open])')) {
      d.open = true;
      opened.push(d);
    }
  });
  window.addEventListener('afterprint', () => {
    for (const d of opened.splice(0)) d.open = false;
  });
})();
`;

/** For the page's Content-Security-Policy, which allows this script and nothing else. */
export function scriptHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
}
