import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';
import { describeError } from '../transport';

const ICONS: Record<'ok' | 'warn' | 'bad' | 'info', IconName> = {
  ok: 'check',
  warn: 'alert',
  bad: 'alert',
  info: 'alert',
};

/** Full-width message strip: verification results, errors, save confirmations. */
export function Notice({
  tone,
  title,
  children,
  action,
  testId,
}: {
  tone: 'ok' | 'warn' | 'bad' | 'info';
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'bad' ? 'alert' : 'status'} data-testid={testId}>
      <Icon name={ICONS[tone]} className="notice-icon" />
      <div className="notice-text">
        <strong>{title}</strong>
        {children ? <div className="notice-detail">{children}</div> : null}
      </div>
      {action ? <div className="notice-action">{action}</div> : null}
    </div>
  );
}

export function ErrorNotice({
  error,
  what,
  onRetry,
}: {
  error: unknown;
  what: string;
  onRetry?: () => void;
}) {
  return (
    <Notice
      tone="bad"
      title={`Could not load ${what}`}
      action={
        onRetry ? (
          <button type="button" className="btn" onClick={onRetry}>
            Retry
          </button>
        ) : undefined
      }
    >
      {describeError(error)}
    </Notice>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}
