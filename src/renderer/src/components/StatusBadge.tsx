import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';

export type Verdict = 'PASS' | 'REVIEW' | 'FAIL';

// Colour alone is not enough on a shop floor (colour-blind operators, glare on the screen),
// so every verdict also has its own symbol and the word itself.
const ICON: Record<Verdict, IconName> = { PASS: 'check', REVIEW: 'alert', FAIL: 'cross' };

export function StatusBadge({ verdict, size = 'md' }: { verdict: Verdict; size?: 'sm' | 'md' | 'xl' }) {
  return (
    <span
      className={`verdict verdict-${verdict.toLowerCase()} verdict-${size}`}
      role="status"
      aria-label={verdict}
    >
      <Icon name={ICON[verdict]} />
      <span>{verdict}</span>
    </span>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info';

/** Small coloured label for non-verdict states (available, connected, verified…). */
export function Pill({ tone, children, testId }: { tone: Tone; children: ReactNode; testId?: string }) {
  return (
    <span className={`pill pill-${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}
