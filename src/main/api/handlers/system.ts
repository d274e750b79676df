// System facts, settings and the audit trail.
import { statSync } from 'node:fs';
import { ApiError, type ApiParsedRequest } from '@shared/api';
import { APP_VERSION } from '../../app-version';
import { listExecutionProviders, onnxRuntimeVersion } from '../../runtime';
import { schemaVersion } from '../../storage/database';
import { exportCheckpoint, parseExport, publicKeyPem, signingKeyOf } from '../../storage/checkpoints';
import { verifyInWorker } from '../audit-verify';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function systemHandlers(
  s: StationContext,
): Pick<
  ApiHandlers,
  | 'system.info'
  | 'settings.get'
  | 'settings.update'
  | 'audit.list'
  | 'audit.verify'
  | 'audit.exportCheckpoint'
> {
  const { opts, paths, db, settings, images, events, reads } = s;
  return {
    'system.info': async () => ({
      appVersion: APP_VERSION,
      onnxRuntimeVersion: onnxRuntimeVersion(),
      executionProviders: await listExecutionProviders(),
      providerOrder: settings.get().providerOrder,
      dataDir: paths.root,
      databasePath: paths.database,
      databaseSizeBytes: fileSize(paths.database) + fileSize(`${paths.database}-wal`),
      schemaVersion: schemaVersion(db),
      imageStoreBytes: images.totalBytes,
      headlessUrl: s.headlessUrl(),
      mode: opts.mode,
      platform: `${process.platform} ${process.arch}`,
      nodeVersion: process.versions.node,
      electronVersion: opts.electronVersion ?? null,
    }),
    'settings.get': () => settings.get(),
    'settings.update': (req: ApiParsedRequest<'settings.update'>) => {
      const { settings: next, audit: changes } = settings.update(req.patch, req.actor, req.reason);
      if (changes.length > 0) events.emit('settings.changed', next);
      return next;
    },
    // From the read worker: a long trail or a slow page never holds the inspection thread.
    'audit.list': (req: ApiParsedRequest<'audit.list'>) =>
      reads.call('auditPage', { beforeId: req.beforeId, limit: req.limit }),
    'audit.verify': (req: ApiParsedRequest<'audit.verify'>) => {
      let external = null;
      if (req.checkpoint !== undefined) {
        try {
          external = parseExport(req.checkpoint);
        } catch (err) {
          throw new ApiError('bad_request', (err as Error).message);
        }
      }
      const key = signingKeyOf(db);
      return verifyInWorker({
        databaseFile: paths.database,
        publicKeyPem: key ? publicKeyPem(key.publicKey) : null,
        keyProblem: 'no signing key attached',
        external,
      });
    },
    'audit.exportCheckpoint': () => exportCheckpoint(db),
  };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
