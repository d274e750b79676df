// Worker-thread entry: serves InspectionQueries' reads on a read-only connection.
// Bundle entry name: inspection-read-worker.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { HeatmapFit } from '@shared/station';
import { readHeatmapFit } from '../model-store/heatmap-fit';
import { AuditReader } from '../storage/audit-trail';
import { runThisThreadInBackground } from '../util/thread-priority';
import { InspectionQueries } from './inspection-queries';
import {
  READ_METHODS,
  type ReadApi,
  type ReadReply,
  type ReadRequest,
  type ReadWorkerData,
} from './read-worker';

// QA reads wait for the CPU when the line needs it; the inspection loop never waits for them.
runThisThreadInBackground();
const data = workerData as ReadWorkerData;
const db = new Database(data.databaseFile, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const fits = new Map<string, HeatmapFit | null>();
const fitOf = (modelId: string): HeatmapFit | null => {
  if (!/^[\w.-]{1,200}$/.test(modelId) || modelId.startsWith('.')) return null;
  let fit = fits.get(modelId);
  if (fit === undefined) {
    fit = readHeatmapFit(join(data.modelsDir, modelId));
    if (fits.size > 100) fits.clear();
    fits.set(modelId, fit);
  }
  return fit;
};
// Candidate export copies files and stays on the main thread; the worker never touches images.
const noImages = { get: () => Promise.reject(new Error('images are not read in the read worker')) };
const queries = new InspectionQueries(db, noImages, data.candidatesDir, fitOf);
const audit = new AuditReader(db);
const api: ReadApi = {
  list: (...a) => queries.list(...a),
  get: (...a) => queries.get(...a),
  decisions: (...a) => queries.decisions(...a),
  models: () => queries.models(),
  modelsIn: (...a) => queries.modelsIn(...a),
  histogram: (...a) => queries.histogram(...a),
  whatIf: (...a) => queries.whatIf(...a),
  yieldOverTime: (...a) => queries.yieldOverTime(...a),
  csvChunk: (...a) => queries.csvChunk(...a),
  candidates: (...a) => queries.candidates(...a),
  auditPage: (page) => audit.list(page),
};
const allowed = new Set<string>(READ_METHODS);

parentPort?.on('message', (req: ReadRequest) => {
  let reply: ReadReply;
  try {
    if (!allowed.has(req.method)) throw new Error(`"${req.method}" is not a read method.`);
    const fn = api[req.method] as (...a: unknown[]) => unknown;
    reply = { id: req.id, result: fn(...req.args) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: req.id, error: { message: err.message, name: err.name } };
  }
  parentPort?.postMessage(reply);
});
