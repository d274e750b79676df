import type { ReactNode } from 'react';

/** Every screen uses this frame so titles, actions and spacing line up across the app. */
export function Page({
  id,
  title,
  subtitle,
  actions,
  children,
}: {
  id: string;
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="page" data-page={id} aria-labelledby={`page-title-${id}`}>
      <header className="page-head">
        <div>
          <h1 id={`page-title-${id}`} className="page-title">
            {title}
          </h1>
          {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
        </div>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </header>
      <div className="page-body">{children}</div>
    </section>
  );
}
