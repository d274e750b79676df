// Screens owned by later issues. Each says plainly that it is not available yet and what it
// will contain, so nobody mistakes an empty frame for "no defects found". (Live, Review and
// History are built and live in their own files.)
import { NotBuilt } from '../components/NotBuilt';
import { Page } from '../components/Page';

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
