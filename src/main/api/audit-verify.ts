// Full verification reads and hashes every audit row and every inspection (about a second per
// 200 000 rows), so it runs in a worker thread on its own read-only connection: the inspection
// loop on the main thread never waits for it.
import { join } from 'node:path';
import type { AuditVerification } from '@shared/api';
import { startWorkerJob } from '../jobs/worker-job';
import type { CheckpointExport } from '../storage/checkpoints';

export const VERIFY_WORKER_ENTRY = {
  name: 'audit-verify-worker',
  source: join(__dirname, 'audit-verify.worker.ts'),
};

export interface VerifyJobData {
  databaseFile: string;
  /** SPKI PEM of the station key; null when the key is unavailable. */
  publicKeyPem: string | null;
  keyProblem?: string;
  external: CheckpointExport | null;
}

export function verifyInWorker(data: VerifyJobData): Promise<AuditVerification> {
  return startWorkerJob<VerifyJobData, never, AuditVerification>(VERIFY_WORKER_ENTRY, data).result;
}
