// Shown where a heatmap would be when the model is image-level (its package declares no map):
// an empty or made-up map would read as "nothing anomalous here".
export const NO_HEATMAP_TEXT = 'image-level method: no heatmap';

export function NoHeatmap({ testId = 'no-heatmap' }: { testId?: string }) {
  return (
    <span className="muted small" data-testid={testId}>
      {NO_HEATMAP_TEXT}
    </span>
  );
}
