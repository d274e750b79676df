// QA read side and decisions: inspections, reviews, retraining candidates, stored images.
import { ApiError, type ApiParsedRequest } from '@shared/api';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function inspectionHandlers(
  s: StationContext,
): Pick<
  ApiHandlers,
  | 'inspections.list'
  | 'inspections.get'
  | 'inspections.models'
  | 'inspections.histogram'
  | 'inspections.whatIf'
  | 'inspections.yieldOverTime'
  | 'inspections.exportCsv'
  | 'reviews.record'
  | 'reviews.list'
  | 'candidates.list'
  | 'candidates.export'
  | 'images.get'
> {
  // Reads go to the read worker (off the inspection thread); reviews.record reads on the main
  // connection because it must see the row it is about to decide in the same thread as the write.
  const { audit, events, queries, reads, reviews, readImage } = s;
  return {
    'inspections.list': (req: ApiParsedRequest<'inspections.list'>) =>
      reads.call('list', req.filter, req.after, req.limit),
    'inspections.get': async (req: ApiParsedRequest<'inspections.get'>) => {
      const [inspection, decisions] = await Promise.all([
        reads.call('get', req.id),
        reads.call('decisions', req.id),
      ]);
      if (!inspection) throw new ApiError('not_found', `Inspection ${req.id} does not exist.`);
      return { inspection, decisions };
    },
    'inspections.models': () => reads.call('models'),
    'inspections.histogram': (req: ApiParsedRequest<'inspections.histogram'>) =>
      reads.call('histogram', req.filter, req.bins, req.include, req.max),
    'inspections.whatIf': async (req: ApiParsedRequest<'inspections.whatIf'>) => {
      // One model's thresholds are never applied to another model's scores.
      const models = await reads.call('modelsIn', req.filter, 6);
      if (models.length > 1) {
        throw new ApiError(
          'conflict',
          `What-if applies one model's thresholds, but the filter matches parts of ${models.length > 5 ? 'more than 5' : models.length} models (${models.slice(0, 5).join(', ')}), whose scores are on different scales. Choose a model in the filter.`,
        );
      }
      return reads.call('whatIf', req.filter, req.t1, req.t2);
    },
    'inspections.yieldOverTime': (req: ApiParsedRequest<'inspections.yieldOverTime'>) =>
      reads.call('yieldOverTime', req.filter, req.bucket),
    'inspections.exportCsv': (req: ApiParsedRequest<'inspections.exportCsv'>) =>
      reads.call('csvChunk', req.filter, req.after, req.limit),
    'reviews.record': (req: ApiParsedRequest<'reviews.record'>) => {
      const inspection = queries.get(req.inspectionId);
      if (!inspection) throw new ApiError('not_found', `Inspection ${req.inspectionId} does not exist.`);
      if (inspection.verdict === 'PASS') {
        throw new ApiError(
          'bad_request',
          `Inspection ${req.inspectionId} passed; only FAIL and REVIEW parts are reviewed.`,
        );
      }
      // Check and insert run in one synchronous turn, so two clients cannot both decide first.
      const earlier = queries.decisions(req.inspectionId);
      const last = earlier.at(-1);
      if (last && !req.change) {
        throw new ApiError(
          'conflict',
          `Inspection ${req.inspectionId} was already decided (${last.decision.replace('_', ' ')} by ${last.reviewer} at ${last.decidedAt}); use "Change decision" with a reason to change it.`,
        );
      }
      if (!last && req.change) {
        throw new ApiError('bad_request', `Inspection ${req.inspectionId} has no decision to change yet.`);
      }
      // Decision and audit row commit in one transaction (ReviewRepository.record).
      const { decision, audit: row } = reviews.record({
        inspectionId: req.inspectionId,
        reviewer: req.reviewer,
        decision: req.decision,
        defectType: req.decision === 'defect_confirmed' ? (req.defectType ?? null) : null,
        reason: req.reason ? req.reason : null,
      });
      if (last && req.change) {
        audit.append({
          actor: req.reviewer,
          action: 'review.change',
          entity: `inspection:${req.inspectionId}`,
          oldValue: JSON.stringify({
            decision: last.decision,
            reviewer: last.reviewer,
            decidedAt: last.decidedAt,
          }),
          newValue: JSON.stringify({ decision: decision.decision, defectType: decision.defectType }),
          reason: req.change.reason,
        });
      }
      events.emit('review.recorded', decision);
      return { decision, auditId: row.id };
    },
    'reviews.list': (req: ApiParsedRequest<'reviews.list'>) => reads.call('decisions', req.inspectionId),
    'candidates.list': (req: ApiParsedRequest<'candidates.list'>) =>
      reads.call('candidates', req.beforeId, req.limit),
    'candidates.export': async (req: ApiParsedRequest<'candidates.export'>) => {
      const result = await queries.exportCandidates();
      audit.append({
        actor: req.actor,
        action: 'training.export_candidates',
        entity: 'training.good_candidates',
        newValue: JSON.stringify(result),
        reason: 'false alarms copied as candidates for the next training set',
      });
      return result;
    },
    'images.get': async (req: ApiParsedRequest<'images.get'>) => {
      const { data: _data, ...image } = await readImage(req.ref);
      return image;
    },
  };
}
