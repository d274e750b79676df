import type { ReactNode } from 'react';
import { Card } from './Card';
import { Pill } from './StatusBadge';

/**
 * Honest stand-in for a screen that a later issue delivers: says what is missing and why,
 * and lists what will be there, without inventing numbers or rows.
 */
export function NotBuilt({
  statement,
  issue,
  planned,
  children,
}: {
  /** One plain sentence starting with what is not available. */
  statement: string;
  /** The issue that delivers this screen. */
  issue: string;
  planned: string[];
  children?: ReactNode;
}) {
  return (
    <div className="not-built" data-testid="not-built">
      <Card
        className="not-built-card"
        title="Not built yet"
        aside={<Pill tone="neutral">Arrives with: {issue}</Pill>}
      >
        <p className="not-built-statement" data-testid="not-built-statement">
          {statement}
        </p>
        <h3 className="subhead">What this screen will show</h3>
        <ul className="plan-list">
          {planned.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      </Card>
      {children}
    </div>
  );
}
