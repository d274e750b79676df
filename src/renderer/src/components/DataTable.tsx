import type { ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: ReactNode;
  render: (row: T) => ReactNode;
  /** CSS class on header and cells: width and alignment live in the stylesheet. */
  className?: string;
}

/**
 * Dense, read-only table. Paging and sorting stay with the caller because they are
 * server-side for every large list in this app (audit, history).
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  empty,
  selectedKey,
  onRowClick,
  rowClassName,
  fixed,
  testId,
  caption,
}: {
  columns: Array<Column<T>>;
  rows: T[];
  rowKey: (row: T) => string | number;
  empty: ReactNode;
  selectedKey?: string | number | null;
  onRowClick?: (row: T) => void;
  /** Extra class for a row, e.g. to flag the audit row where the hash chain breaks. */
  rowClassName?: (row: T) => string | undefined;
  /** Fixed layout: column widths come from the stylesheet and long values clip instead of
   *  pushing the table wider than the screen. */
  fixed?: boolean;
  testId?: string;
  caption?: string;
}) {
  return (
    <div className="table-wrap">
      <table className={fixed ? 'table table-fixed' : 'table'} data-testid={testId}>
        {caption ? <caption className="sr-only">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr className="table-empty">
              <td colSpan={columns.length}>{empty}</td>
            </tr>
          ) : (
            rows.map((row) => {
              const k = rowKey(row);
              return (
                <tr
                  key={k}
                  className={
                    [
                      onRowClick ? 'clickable' : '',
                      selectedKey === k ? 'selected' : '',
                      rowClassName?.(row) ?? '',
                    ]
                      .join(' ')
                      .trim() || undefined
                  }
                  onClick={onRowClick ? () => onRowClick(row) : undefined}
                  aria-selected={onRowClick ? selectedKey === k : undefined}
                >
                  {columns.map((c) => (
                    <td key={c.key} className={c.className}>
                      {c.render(row)}
                    </td>
                  ))}
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}
