// DTOs for the QA screens (Review, History) and the retraining candidates. Plain JSON, shared by
// the main process and the UI, identical over IPC and HTTP.
import type { HeatmapFit, Thresholds, Verdict } from './station';

export type ReviewDecisionKind = 'defect_confirmed' | 'false_alarm';

export interface ReviewDecisionDto {
  id: number;
  inspectionId: number;
  decidedAt: string;
  reviewer: string;
  decision: ReviewDecisionKind;
  defectType: string | null;
  reason: string | null;
}

/** One inspected part as the UI lists it. Image refs are image-store refs (see images.get). */
export interface InspectionDto {
  id: number;
  at: string;
  source: string;
  frameId: string | null;
  modelId: string;
  modelVersion: number;
  rawScore: number;
  normScore: number;
  verdict: Verdict;
  latencyMs: number;
  imageRef: string | null;
  heatmapRef: string | null;
  /** How the stored heatmap lies on the stored image; null when the model package is gone. */
  heatmapFit: HeatmapFit | null;
  /** Why the image was not stored (disk full, quota), if it was not. */
  storeError: string | null;
  /** Set when a PASS image was deleted by retention; the metadata stays. */
  evictedAt: string | null;
  shift: string | null;
  /** The product the line ran (null: none selected, or inspected before products existed). */
  productId: string | null;
  /** The run (one start of the line) it was inspected in. */
  runId: number | null;
  /** The source's own name for the frame: file name, or `t=…s` into a stream. */
  sourceRef: string | null;
  /** The newest review decision; earlier ones are in inspections.get. Null = not reviewed. */
  review: Pick<ReviewDecisionDto, 'decision' | 'defectType' | 'reviewer' | 'decidedAt' | 'reason'> | null;
}

export interface InspectionCursorDto {
  at: string;
  id: number;
}

export interface InspectionListPage {
  rows: InspectionDto[];
  /** Pass as `after` for the next (older) page; null when there is none. */
  next: InspectionCursorDto | null;
}

export interface InspectionDetail {
  inspection: InspectionDto;
  /** Every decision, oldest first: re-decisions never overwrite, they append. */
  decisions: ReviewDecisionDto[];
}

export interface VerdictCounts {
  pass: number;
  review: number;
  fail: number;
}

export interface HistogramBin extends VerdictCounts {
  /** Inclusive lower edge (normalised score). */
  lo: number;
  /** Exclusive upper edge; the last bin also holds everything above. */
  hi: number;
}

export interface ScoreHistogram {
  lo: number;
  hi: number;
  binWidth: number;
  bins: HistogramBin[];
  total: number;
  /** Counts by recorded verdict over the whole filter. */
  counts: VerdictCounts;
  minScore: number | null;
  maxScore: number | null;
}

export interface WhatIfResult {
  thresholds: Thresholds;
  /** The one model whose parts were re-judged (thresholds never cross models); null when none matched. */
  modelId: string | null;
  total: number;
  /** How the parts matching the filter would have been judged with `thresholds`. */
  wouldBe: VerdictCounts;
  /** How they were judged when inspected. */
  recorded: VerdictCounts;
  /** Parts whose verdict would differ from the recorded one. */
  changed: number;
}

export type YieldBucketSize = 'minute' | 'hour' | 'day';

export interface YieldBucket extends VerdictCounts {
  /** Bucket start, ISO (UTC). */
  start: string;
}

export interface YieldOverTime {
  bucket: YieldBucketSize;
  buckets: YieldBucket[];
}

export interface ModelUsage {
  modelId: string;
  latestVersion: number;
  inspections: number;
  lastAt: string;
}

export interface CsvChunk {
  /** CSV text; the first chunk (no `after`) starts with the header line. */
  csv: string;
  rows: number;
  next: InspectionCursorDto | null;
}

export interface RetrainingCandidate {
  inspectionId: number;
  decisionId: number;
  decidedAt: string;
  reviewer: string;
  reason: string | null;
  at: string;
  normScore: number;
  verdict: Verdict;
  modelId: string;
  imageRef: string | null;
  /** File name under <dataDir>/good-candidates once exported, else null. */
  exportedAs: string | null;
}

export interface CandidatePage {
  rows: RetrainingCandidate[];
  nextBeforeId: number | null;
  total: number;
  folder: string;
}

export interface CandidateExport {
  folder: string;
  copied: number;
  alreadyThere: number;
  /** Candidates whose image is gone (never stored, or the store failed). */
  missingImage: number;
}

export interface ImageData64 {
  ref: string;
  mime: string;
  base64: string;
  bytes: number;
}
