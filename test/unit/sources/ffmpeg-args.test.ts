import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cameraSourceSchema,
  describeInput,
  ffmpegArgs,
  listCameraDevices,
  parseAvfoundationDevices,
  parseDshowDevices,
  parseV4l2Formats,
  resolveFfmpegPath,
  sourceConfigSchema,
} from '../../../src/main/sources';
import { tempDir } from './helpers';

const cam = (input: unknown, extra: Record<string, unknown> = {}) =>
  cameraSourceSchema.parse({ kind: 'camera', input, width: 640, height: 480, fps: 15, ...extra });
const tmp = tempDir('ffmpeg-unit');
afterAll(() => tmp.cleanup());

describe('ffmpeg command lines', () => {
  it('asks V4L2 for the mode and always outputs rgb24 at the requested size and rate', () => {
    const args = ffmpegArgs(cam({ type: 'device', device: '/dev/video0' }), 'linux');
    expect(args.join(' ')).toContain('-f v4l2 -framerate 15 -video_size 640x480 -i /dev/video0');
    expect(args.slice(-7)).toEqual([
      '-vf',
      'fps=15,scale=640:480:flags=bilinear,format=rgb24',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ]);
    expect(args).toContain('-nostdin');
  });

  it('uses DirectShow on Windows and AVFoundation on macOS, without forcing a device mode', () => {
    expect(ffmpegArgs(cam({ type: 'device', device: 'Integrated Camera' }), 'win32').join(' ')).toContain(
      '-f dshow -i video=Integrated Camera',
    );
    expect(ffmpegArgs(cam({ type: 'device', device: 'video=USB Cam' }), 'win32').join(' ')).toContain(
      '-i video=USB Cam',
    );
    const mac = ffmpegArgs(cam({ type: 'device', device: '0' }), 'darwin').join(' ');
    expect(mac).toContain('-f avfoundation -i 0');
    expect(mac).not.toContain('-video_size');
  });

  it('uses TCP for RTSP, paces files and lavfi, and loops files on request', () => {
    expect(ffmpegArgs(cam({ type: 'url', url: 'rtsp://10.0.0.5/stream1' }), 'linux').join(' ')).toContain(
      '-rtsp_transport tcp -i rtsp://10.0.0.5/stream1',
    );
    expect(ffmpegArgs(cam({ type: 'url', url: 'http://cam/mjpg' }), 'linux').join(' ')).not.toContain(
      'rtsp_transport',
    );
    expect(ffmpegArgs(cam({ type: 'file', path: '/v.mp4' }), 'linux').join(' ')).toContain(
      '-stream_loop -1 -re -i /v.mp4',
    );
    expect(
      ffmpegArgs(cam({ type: 'file', path: '/v.mp4', loop: false, realtime: false }), 'linux').join(' '),
    ).toContain('-nostdin -i /v.mp4');
    expect(ffmpegArgs(cam({ type: 'lavfi', graph: 'testsrc' }), 'linux').join(' ')).toContain(
      '-re -f lavfi -i testsrc',
    );
  });

  it('never shows stream credentials in labels', () => {
    expect(describeInput({ type: 'url', url: 'rtsp://admin:secret@10.0.0.5:554/s1' })).toBe(
      'stream:rtsp://***@10.0.0.5:554/s1',
    );
  });

  it('validates configs with every problem named', () => {
    const r = sourceConfigSchema.safeParse({
      kind: 'camera',
      input: { type: 'url', url: 'file:///etc/passwd' },
      width: 0,
      height: 480,
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['input.url', 'width']));
    expect(sourceConfigSchema.parse({ kind: 'hotFolder', folder: '/in' })).toMatchObject({
      skipExisting: true,
      pollMs: 200,
      stableScans: 1,
      afterRead: 'keep',
    });
    expect(sourceConfigSchema.parse({ kind: 'replay', folder: '/in' })).toMatchObject({ fps: 5, loop: true });
  });
});

describe('ffmpeg binary and device listing', () => {
  it('prefers ffmpeg on PATH, then the bundled one; an explicit path must exist', () => {
    const bin = join(tmp.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ffmpeg'), '#!/bin/sh\n');
    chmodSync(join(bin, 'ffmpeg'), 0o755);
    expect(resolveFfmpegPath(undefined, { PATH: `/nonexistent:${bin}` }, 'linux')).toBe(join(bin, 'ffmpeg'));
    const bundled = resolveFfmpegPath(undefined, { PATH: '/nonexistent' }, 'linux');
    expect(bundled === null || /ffmpeg-installer/.test(bundled)).toBe(true);
    expect(resolveFfmpegPath('/no/such/ffmpeg')).toBeNull();
  });

  it('parses v4l2 formats', () => {
    const text = [
      '[video4linux2,v4l2 @ 0x55d5] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240 1280x720',
      '[video4linux2,v4l2 @ 0x55d5] Compressed:       mjpeg :          Motion-JPEG : 1920x1080 1280x720',
      '/dev/video0: Immediate exit requested',
    ].join('\n');
    expect(parseV4l2Formats(text)).toEqual([
      { pixelFormat: 'yuyv422', compressed: false, sizes: ['640x480', '320x240', '1280x720'] },
      { pixelFormat: 'mjpeg', compressed: true, sizes: ['1920x1080', '1280x720'] },
    ]);
  });

  it('parses DirectShow listings in the old and the new format', () => {
    const old = [
      '[dshow @ 0000018] DirectShow video devices (some may be both video and audio devices)',
      '[dshow @ 0000018]  "Integrated Webcam"',
      '[dshow @ 0000018]     Alternative name "@device_pnp_\\\\?\\usb#vid_0c45"',
      '[dshow @ 0000018] DirectShow audio devices',
      '[dshow @ 0000018]  "Microphone (Realtek)"',
    ].join('\n');
    expect(parseDshowDevices(old)).toEqual(['Integrated Webcam']);
    const modern = [
      '[dshow @ 000001] "Basler GenICam Source" (video)',
      '[dshow @ 000001] "Mic" (audio)',
      '[dshow @ 000001] "OBS Virtual Camera" (none)',
    ].join('\n');
    expect(parseDshowDevices(modern)).toEqual(['Basler GenICam Source']);
  });

  it('parses AVFoundation listings (video devices only)', () => {
    const text = [
      '[AVFoundation indev @ 0x7f8] AVFoundation video devices:',
      '[AVFoundation indev @ 0x7f8] [0] FaceTime HD Camera',
      '[AVFoundation indev @ 0x7f8] [1] Capture screen 0',
      '[AVFoundation indev @ 0x7f8] AVFoundation audio devices:',
      '[AVFoundation indev @ 0x7f8] [0] MacBook Pro Microphone',
    ].join('\n');
    expect(parseAvfoundationDevices(text)).toEqual([
      { index: '0', name: 'FaceTime HD Camera' },
      { index: '1', name: 'Capture screen 0' },
    ]);
  });

  it('lists no Linux cameras when /dev has no video nodes', async () => {
    const dev = join(tmp.dir, 'dev');
    mkdirSync(dev);
    writeFileSync(join(dev, 'null'), '');
    expect(await listCameraDevices({ platform: 'linux', devDir: dev })).toEqual([]);
  });
});
