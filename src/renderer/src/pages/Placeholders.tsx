// Screens owned by later issues. Each says plainly that it is not available yet and what it
// will contain, so nobody mistakes an empty frame for "no defects found".
import { Card } from '../components/Card';
import { NotBuilt } from '../components/NotBuilt';
import { Page } from '../components/Page';
import { StatusBadge } from '../components/StatusBadge';

export function LivePage() {
  return (
    <Page id="live" title="Live inspection" subtitle="Operator view at the line">
      <NotBuilt
        statement="Live inspection is not available yet: the capture loop and models arrive with the 'live inspection loop' issue. No parts are being inspected by this station."
        issue="live inspection loop"
        planned={[
          'The live camera frame with the anomaly heatmap overlay (toggle, opacity, colour legend).',
          'A large PASS / REVIEW / FAIL verdict for every part.',
          'Cycle figures: frames per second, latency (mean, p95), worst cycle, overruns, shift yield.',
          'A strip of the most recent rejects; click one to open it.',
          'Source, model version and execution provider (GPU/CPU) always visible; start / stop.',
          'A clear banner when the camera drops or the model cannot load.',
          '"Save this frame as good" to collect training images while running.',
        ]}
      >
        <Card title="How verdicts will read" className="verdict-legend" testId="verdict-legend">
          <p className="muted">
            Each part gets an anomaly score. Two thresholds from the deployed model, T1 and T2, split it into
            three verdicts:
          </p>
          <ul className="legend-list">
            <li>
              <StatusBadge verdict="PASS" size="md" /> Score below T1: the part looks like the good parts the
              model learnt from.
            </li>
            <li>
              <StatusBadge verdict="REVIEW" size="md" /> Score between T1 and T2: uncertain, routed to a QA
              engineer instead of forcing a guess.
            </li>
            <li>
              <StatusBadge verdict="FAIL" size="md" /> Score above T2: rejected; the image is always kept for
              review.
            </li>
          </ul>
        </Card>
      </NotBuilt>
    </Page>
  );
}

export function ReviewPage() {
  return (
    <Page id="review" title="Review queue" subtitle="QA decisions on flagged parts">
      <NotBuilt
        statement="The review queue is not available yet: it needs stored inspection results, which arrive with the 'live inspection loop' and 'QA review' issues. There is nothing to review on this station today."
        issue="QA review"
        planned={[
          'Queue of FAIL and REVIEW parts, oldest first.',
          'Image, heatmap and overlay side by side.',
          'Decide "defect confirmed" (with an optional defect type) or "false alarm" with a reason.',
          'Keyboard shortcuts for fast decisions; every decision is written to the audit trail.',
          'False alarms become candidates for the next retraining.',
        ]}
      />
    </Page>
  );
}

export function TrainPage() {
  return (
    <Page id="train" title="Train a model" subtitle="Learn from a folder of good parts">
      <NotBuilt
        statement="Training is not available yet: the training wizard and its jobs arrive with the 'training wizard' issue. No model can be trained from this screen today."
        issue="training wizard"
        planned={[
          'Pick a folder of good images (10–300 typical) and, optionally, a folder of known defects.',
          'Scan report: unreadable files, duplicates, mixed sizes, too few images.',
          'Method and preset; progress bar with time remaining; cancel.',
          'Calibration: score histogram, suggested T1/T2 for a target false-reject rate, expected escape rate.',
        ]}
      />
    </Page>
  );
}

export function ModelsPage() {
  return (
    <Page id="models" title="Models" subtitle="Versions, deployment and rollback">
      <NotBuilt
        statement="Model management is not available yet: the model store arrives with the 'model store' issue. No model is deployed on this station."
        issue="model store"
        planned={[
          'Every model version with its lineage: training-set fingerprint, method, backbone, metrics.',
          'Deploy and roll back, each with a reason recorded in the audit trail.',
          'Compare two versions on the same images.',
          'Import anomalib ONNX exports.',
        ]}
      />
    </Page>
  );
}

export function HistoryPage() {
  return (
    <Page id="history" title="History" subtitle="Every inspected part">
      <NotBuilt
        statement="Inspection history is not available yet: results are recorded once the 'live inspection loop' issue lands, and this screen arrives with the 'history' issue. No inspections are stored yet."
        issue="history"
        planned={[
          'Search by time, verdict, model and score; fast paging over 100 000+ rows.',
          'CSV export.',
          'Score histogram and yield over time.',
          'Threshold what-if: drag T1/T2 on the histogram and see how recent parts would have been judged.',
        ]}
      />
    </Page>
  );
}
