import type { ReactNode } from 'react';

export function Card({
  title,
  aside,
  className,
  children,
  testId,
}: {
  title?: ReactNode;
  /** Right side of the card header: a status pill or a small action. */
  aside?: ReactNode;
  className?: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className={className ? `card ${className}` : 'card'} data-testid={testId}>
      {title || aside ? (
        <header className="card-head">
          {title ? <h2 className="card-title">{title}</h2> : <span />}
          {aside}
        </header>
      ) : null}
      <div className="card-body">{children}</div>
    </section>
  );
}

/** Label/value rows for facts (versions, paths, sizes); values are selectable for copying. */
export function Facts({
  items,
}: {
  items: Array<{ label: string; value: ReactNode; mono?: boolean; testId?: string }>;
}) {
  return (
    <dl className="facts">
      {items.map((item) => (
        <div className="fact" key={item.label} data-testid={item.testId}>
          <dt>{item.label}</dt>
          <dd className={item.mono ? 'mono' : undefined}>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}
