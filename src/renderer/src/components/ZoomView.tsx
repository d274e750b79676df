// Zoom and pan shared by several pictures of one part (Review: image, heatmap, overlay): wheel
// over a picture, the +/− buttons or the + − 0 keys zoom, dragging or Shift+arrow keys pan. One
// view drives every picture, and the overlay is a single canvas, so the heatmap stays on the spot
// it marks at every zoom.
import { useCallback, useEffect, useRef, useState, type PointerEvent, type ReactNode } from 'react';
import {
  clampView,
  cssTransform,
  FIT,
  MAX_ZOOM,
  panBy,
  ZOOM_STEP,
  zoomAt,
  type ZoomState,
} from '../lib/zoom';

export interface Zoom {
  view: ZoomState;
  set(next: ZoomState | ((v: ZoomState) => ZoomState)): void;
}

/** Keys: + / = zoom in, − zoom out, 0 fit, Shift+arrows pan (fields keep their keys). */
export function useZoom(): Zoom {
  const [view, setView] = useState<ZoomState>(FIT);
  const set = useCallback((next: ZoomState | ((v: ZoomState) => ZoomState)) => {
    setView((v) => clampView(typeof next === 'function' ? next(v) : next));
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (
        t &&
        (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)
      )
        return;
      if (e.key === '+' || e.key === '=') set((v) => zoomAt(v, ZOOM_STEP));
      else if (e.key === '-' || e.key === '_') set((v) => zoomAt(v, 1 / ZOOM_STEP));
      else if (e.key === '0') set(FIT);
      else if (e.shiftKey && e.key.startsWith('Arrow')) {
        const step = 0.1;
        const d = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] }[
          e.key
        ];
        if (!d) return;
        set((v) => panBy(v, d[0], d[1]));
      } else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [set]);
  return { view, set };
}

export function ZoomControls({ zoom }: { zoom: Zoom }) {
  const { view, set } = zoom;
  return (
    <div className="zoom-controls" data-testid="zoom-controls">
      <button
        type="button"
        className="btn btn-small"
        onClick={() => set((v) => zoomAt(v, 1 / ZOOM_STEP))}
        disabled={view.scale <= 1}
        aria-label="Zoom out"
        data-testid="zoom-out"
      >
        −
      </button>
      <span className="mono small zoom-level" data-testid="zoom-level" aria-live="polite">
        {Math.round(view.scale * 100)} %
      </span>
      <button
        type="button"
        className="btn btn-small"
        onClick={() => set((v) => zoomAt(v, ZOOM_STEP))}
        disabled={view.scale >= MAX_ZOOM}
        aria-label="Zoom in"
        data-testid="zoom-in"
      >
        +
      </button>
      <button
        type="button"
        className="btn btn-small"
        onClick={() => set(FIT)}
        disabled={view.scale === 1}
        data-testid="zoom-fit"
      >
        Fit
      </button>
      <span className="muted small zoom-hint">wheel or + − 0 to zoom · drag or Shift+arrows to pan</span>
    </div>
  );
}

/** One picture's viewport: children fill it and move with the shared view. */
export function ZoomViewport({
  zoom,
  children,
  testId,
}: {
  zoom: Zoom;
  children: ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const drag = useRef<{ id: number; x: number; y: number } | null>(null);
  const { set } = zoom;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    // Registered by hand: React's wheel listener is passive and could not stop the page scrolling.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) return;
      const factor = e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP;
      set((v) => zoomAt(v, factor, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [set]);
  const down = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const move = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    const r = e.currentTarget.getBoundingClientRect();
    if (!r.width || !r.height) return;
    const dx = (e.clientX - d.x) / r.width;
    const dy = (e.clientY - d.y) / r.height;
    drag.current = { id: d.id, x: e.clientX, y: e.clientY };
    set((v) => panBy(v, dx, dy));
  };
  const up = (e: PointerEvent<HTMLDivElement>) => {
    if (drag.current?.id === e.pointerId) drag.current = null;
  };
  return (
    <div
      ref={ref}
      className={zoom.view.scale > 1 ? 'zoom-viewport zoomed' : 'zoom-viewport'}
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={up}
      onDoubleClick={(e) => {
        const r = e.currentTarget.getBoundingClientRect();
        set((v) =>
          v.scale > 1 ? FIT : zoomAt(v, 2, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height),
        );
      }}
      data-testid={testId}
      data-zoom={zoom.view.scale.toFixed(3)}
    >
      <div className="zoom-content" style={{ transform: cssTransform(zoom.view) }}>
        {children}
      </div>
    </div>
  );
}
