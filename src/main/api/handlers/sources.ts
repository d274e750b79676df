// Frame-source setup: cameras this PC offers, and a test capture before the line switches over.
import { ApiError, type ApiParsedRequest } from '@shared/api';
import { listCameraDevices, resolveFfmpegPath, sourceConfigSchema, type SourceConfig } from '../../sources';
import { testCapture, TestCaptureError } from '../../station/test-capture';
import { LAST_SOURCE_KEY } from './context';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function parseSource(raw: Record<string, unknown>): SourceConfig {
  const parsed = sourceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(
      'bad_request',
      `Invalid source: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(source)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

export function sourceHandlers(s: StationContext): Pick<ApiHandlers, 'sources.options' | 'sources.test'> {
  return {
    'sources.options': async () => ({
      cameras: await listCameraDevices(),
      ffmpegPath: resolveFfmpegPath(),
      current: (s.settings.getInternal<SourceConfig>(LAST_SOURCE_KEY) ?? null) as Record<
        string,
        unknown
      > | null,
      platform: process.platform,
    }),
    'sources.test': async (req: ApiParsedRequest<'sources.test'>) => {
      const config = parseSource(req.source);
      try {
        const shot = await testCapture(config, req.timeoutMs);
        return {
          label: shot.label,
          name: shot.name,
          jpegBase64: shot.jpeg.toString('base64'),
          width: shot.width,
          height: shot.height,
          frameWidth: shot.frameWidth,
          frameHeight: shot.frameHeight,
          elapsedMs: shot.elapsedMs,
        };
      } catch (err) {
        if (err instanceof TestCaptureError) throw new ApiError('conflict', err.message);
        throw err;
      }
    },
  };
}
