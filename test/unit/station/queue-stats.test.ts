import { describe, expect, it } from 'vitest';
import { DropOldestQueue, LiveStats, NumberRing, percentile } from '../../../src/main/station';
import { sniff } from '../../../src/main/station/frames';
import { denormalise, heatRange, normaliseScore } from '../../../src/main/models/schema';

describe('DropOldestQueue', () => {
  it('drops the oldest item when full, counts overruns, and never holds more than its capacity', () => {
    const q = new DropOldestQueue<number>(3);
    const dropped: number[] = [];
    for (let i = 1; i <= 10; i++) {
      const d = q.push(i);
      if (d !== undefined) dropped.push(d);
      expect(q.size).toBeLessThanOrEqual(3);
    }
    expect(dropped).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(q.overruns).toBe(7);
    expect(q.take(2)).toEqual([8, 9]);
    q.push(11);
    expect(q.take(10)).toEqual([10, 11]);
    expect(q.clear()).toBe(0);
    expect(q.overruns).toBe(7);
  });

  it('wakes a waiting consumer on push and a waiting producer when drained', async () => {
    const q = new DropOldestQueue<string>(2);
    let woke = false;
    const waiting = q.whenNotEmpty().then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    q.push('a');
    await waiting;
    expect(woke).toBe(true);
    let empty = false;
    const drained = q.whenEmpty().then(() => (empty = true));
    await Promise.resolve();
    expect(empty).toBe(false);
    q.take(1);
    await drained;
    expect(empty).toBe(true);
  });

  it('refuses a capacity below one', () => {
    expect(() => new DropOldestQueue(0)).toThrow(RangeError);
  });
});

describe('statistics', () => {
  it('ring keeps the last N in order', () => {
    const r = new NumberRing(3);
    [1, 2, 3, 4, 5].forEach((v) => r.push(v));
    expect([...r.values()]).toEqual([3, 4, 5]);
  });

  it('nearest-rank percentile', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted input
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 95)).toBeNaN();
  });

  it('fps over a sliding window, latency over recent frames, worst since start, yield counters', () => {
    let now = 0;
    const s = new LiveStats(1000, 4, () => now);
    s.reset();
    for (let i = 0; i < 20; i++) {
      now += 100; // 10 fps for 2 s
      s.result(i % 5 === 0 ? 'FAIL' : 'PASS', i === 3 ? 250 : 10 + i);
    }
    expect(s.fps()).toBeCloseTo(10, 5);
    const lat = s.latency();
    expect(lat.worst).toBe(250);
    expect(lat.window).toBe(4);
    expect(lat.mean).toBeCloseTo((26 + 27 + 28 + 29) / 4, 5);
    expect(lat.p95).toBe(29);
    expect(s.yieldCount).toEqual({ PASS: 16, REVIEW: 0, FAIL: 4 });
    now += 5000; // line stopped: the window empties
    expect(s.fps()).toBe(0);
    s.stage('decode', 30, 3);
    s.stage('inference', 60, 3);
    expect(s.stages().meanMs.decode).toBe(10);
    expect(s.stages().share.inference).toBeCloseTo(2 / 3, 5);
  });
});

describe('frame helpers', () => {
  it('recognises containers by magic bytes', () => {
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpg');
    expect(sniff(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('png');
    expect(sniff(Buffer.from('BM....'))).toBe('bmp');
    expect(sniff(Buffer.from('hello'))).toBeNull();
  });

  it('maps the heatmap range to "typical good" … "FAIL threshold" on the raw scale', () => {
    const n = { method: 'minmax' as const, min: 4, max: 6 };
    expect(denormalise(normaliseScore(5.3, n), n)).toBeCloseTo(5.3, 10);
    expect(heatRange(n, 1.5)).toEqual({ min: 4, max: 7 });
  });
});
