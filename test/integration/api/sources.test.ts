// Frame-source setup over both transports: the cameras listing, a test capture that shows the
// first frame without touching the line (nor the folder), clear errors for a source that gives
// nothing, and an audited switch of the running line.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegPath } from '../../../src/main/sources';
import { tinyDemo } from '../station/helpers';
import { httpHarness, ipcHarness, personClient, tempDir, type Harness } from './harness';

async function png(file: string, r: number): Promise<void> {
  const data = await sharp({
    create: { width: 40, height: 30, channels: 3, background: { r, g: 90, b: 30 } },
  })
    .png()
    .toBuffer();
  writeFileSync(file, data);
}

function sourcesSuite(name: string, make: () => Promise<Harness>): void {
  describe(`frame source setup over ${name}`, () => {
    let h: Harness;
    let folder: string;
    beforeAll(async () => {
      h = await make();
      folder = tempDir('src-folder-');
      await png(join(folder, 'part-001.png'), 200);
      await png(join(folder, 'part-002.png'), 100);
    });
    afterAll(async () => {
      await h.close();
    });

    it('lists cameras (possibly none) and the ffmpeg it would use', async () => {
      const opts = await h.client.call('sources.options', {});
      expect(Array.isArray(opts.cameras)).toBe(true);
      expect(opts.ffmpegPath).toBe(resolveFfmpegPath());
      expect(opts.current).toBeNull();
    });

    it('test-captures a replay folder without starting the line', async () => {
      const shot = await h.client.call('sources.test', { source: { kind: 'replay', folder } });
      expect(shot.name).toBe('part-001.png');
      expect(shot.label).toBe(`replay:${folder}`);
      expect([shot.frameWidth, shot.frameHeight]).toEqual([40, 30]);
      const meta = await sharp(Buffer.from(shot.jpegBase64, 'base64')).metadata();
      expect(meta.format).toBe('jpeg');
      expect((await h.client.call('station.state', {})).source).toBeNull();
    });

    it('never deletes from a hot folder while testing, even when the line would', async () => {
      const shot = await h.client.call('sources.test', {
        source: { kind: 'hotFolder', folder, afterRead: 'delete' },
      });
      expect(['part-001.png', 'part-002.png']).toContain(shot.name);
      expect(existsSync(join(folder, 'part-001.png'))).toBe(true);
      expect(existsSync(join(folder, 'part-002.png'))).toBe(true);
    });

    it('says why when no frame arrives, and rejects a malformed source', async () => {
      const empty = tempDir('src-empty-');
      await expect(
        h.client.call('sources.test', { source: { kind: 'hotFolder', folder: empty }, timeoutMs: 700 }),
      ).rejects.toThrow(/No frame within 1 s from hotfolder:/);
      await expect(h.client.call('sources.test', { source: { kind: 'hotFolder' } })).rejects.toThrow(
        /Invalid source: folder/,
      );
      await expect(
        h.client.call('sources.test', {
          source: {
            kind: 'camera',
            input: { type: 'url', url: 'file:///etc/passwd' },
            width: 64,
            height: 64,
          },
        }),
      ).rejects.toThrow(/rtsp/);
    });

    it.skipIf(!resolveFfmpegPath())('test-captures through ffmpeg (a generated test pattern)', async () => {
      const shot = await h.client.call('sources.test', {
        source: {
          kind: 'camera',
          input: { type: 'lavfi', graph: 'testsrc=size=320x240:rate=5' },
          width: 160,
          height: 120,
        },
        timeoutMs: 15_000,
      });
      expect([shot.frameWidth, shot.frameHeight]).toEqual([160, 120]);
    });

    it('switches the line to the tested source, start and stop audited with the person', async () => {
      const demo = await tinyDemo(h.station.paths.root);
      await h.station.live.loadModel(demo.modelDir);
      const dana = await personClient(h, 'dana', 'engineer');
      const eve = await personClient(h, 'eve', 'operator');
      // Pointing the line at another source is an engineer's decision.
      await expect(eve.call('station.start', { source: { kind: 'replay', folder } })).rejects.toMatchObject({
        code: 'forbidden',
      });
      const state = await dana.call('station.start', {
        source: { kind: 'replay', folder, fps: 5 },
        actor: 'someone else',
      });
      expect(state.source?.label).toBe(`replay:${folder}`);
      const opts = await h.client.call('sources.options', {});
      expect(opts.current).toMatchObject({ kind: 'replay', folder });
      await eve.call('station.stop', {});
      const rows = (await h.client.call('audit.list', { limit: 20 })).rows;
      const src = rows.find((r) => r.action === 'station.source');
      expect(src).toMatchObject({ actor: 'dana' });
      expect(JSON.parse(src!.newValue!)).toMatchObject({ kind: 'replay', folder });
      expect(rows.find((r) => r.action === 'station.start')).toMatchObject({ actor: 'dana' });
      expect(rows.find((r) => r.action === 'station.stop')).toMatchObject({ actor: 'eve' });
    });
  });
}

sourcesSuite('HTTP + WebSocket', () => httpHarness());
sourcesSuite('Electron IPC', () => ipcHarness());
