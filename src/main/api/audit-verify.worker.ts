// Worker-thread entry: verifies the station's records on a read-only connection.
// Bundle entry name: audit-verify-worker.
import Database from 'better-sqlite3';
import { createPublicKey } from 'node:crypto';
import type { AuditVerification } from '@shared/api';
import { runAsWorkerJob } from '../jobs/worker-job';
import { verifyStationChain } from '../storage/chain-verify';
import { runThisThreadInBackground } from '../util/thread-priority';
import type { VerifyJobData } from './audit-verify';

void runAsWorkerJob<VerifyJobData, never, AuditVerification>(async (data) => {
  // A full verification reads every record: it takes the CPU only when the line leaves it free.
  runThisThreadInBackground();
  const db = new Database(data.databaseFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return verifyStationChain(db, {
      publicKey: data.publicKeyPem ? createPublicKey(data.publicKeyPem) : null,
      keyProblem: data.keyProblem,
      external: data.external,
    });
  } finally {
    db.close();
  }
});
