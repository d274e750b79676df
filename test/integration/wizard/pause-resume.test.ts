// A training job paused in one station process and resumed in the next over the same data
// directory (DFR fast on generated parts, real MobileNetV2 taps): the checkpoint and the job
// record survive the restart, the loss curve continues at the step it stopped, the result equals
// an uninterrupted run of the same seed, model.json says where the training step ran, and a
// method that does not train by gradient steps refuses the pause in words.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationClient, TrainingJobDto } from '@shared/api';
import { modelJsonSchema } from '../../../src/main/models/schema';
import { ADMIN_PASSWORD, httpHarness, tempDir, type Harness } from '../api/harness';
import { writeParts } from './helpers';

async function waitForJob(
  client: StationClient,
  states: TrainingJobDto['state'][],
  timeoutMs = 180_000,
): Promise<TrainingJobDto> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.call('training.status', {});
    if (job && states.includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job did not reach ${states.join('/')}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const steps = (j: TrainingJobDto) => (j.lossCurve?.train ?? []).map((p) => p.step);

describe('training pause → station restart → resume (DFR, HTTP transport)', () => {
  const dataDir = tempDir('pause-resume-data-');
  let h: Harness | null = null;
  let goodDir: string;

  beforeAll(async () => {
    const root = tempDir('pause-resume-parts-');
    goodDir = join(root, 'good');
    await writeParts(goodDir, 16, { seed: 4242 });
  });

  afterAll(async () => {
    await h?.close();
  });

  let pausedJob: TrainingJobDto;

  it('pauses at a step boundary: checkpoint and job record in the data dir, audited with who and why', async () => {
    h = await httpHarness({ dataDir });
    const client = h.client;
    // Pause as soon as the first training step is reported (the worker checks the flag per step).
    const firstStep = new Promise<TrainingJobDto>((ok) =>
      client.on('training.progress', (j) => {
        if (j.state === 'fitting' && j.progress.stage === 'train' && j.progress.done >= 1) ok(j);
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const job = await client.call('training.start', { goodDir, method: 'dfr', preset: 'fast', actor: 'Dana' });
    expect(job.pausable).toBe(true);
    await firstStep;
    pausedJob = await client.call('training.pause', {
      jobId: job.id,
      actor: 'Dana',
      reason: 'shift change: the line needs the CPU',
    });
    expect(pausedJob.state).toBe('paused');
    expect(pausedJob.paused).toMatchObject({ by: 'admin', reason: 'shift change: the line needs the CPU' });
    const { step, totalSteps } = pausedJob.paused!;
    expect(step).toBeGreaterThanOrEqual(1);
    expect(totalSteps).toBeGreaterThan(step!);
    // The step reported is the one the checkpoint holds: the curve ends there.
    expect(steps(pausedJob).at(-1)).toBe(step);
    // Where the step ran, in the job record: the CPU here, every GPU provider skipped with its reason.
    expect(pausedJob.device?.provider).toBe('cpu');
    expect(pausedJob.device?.skipped.map((s) => s.name)).toEqual(['cuda', 'dml', 'coreml', 'webgpu']);
    for (const s of pausedJob.device!.skipped) expect(s.reason.length).toBeGreaterThan(5);

    const staging = join(dataDir, 'training', job.id);
    expect(existsSync(join(staging, 'paused-job.json'))).toBe(true);
    expect(existsSync(join(staging, '.dfr-train.ckpt'))).toBe(true);
    const audit = await client.call('audit.list', { limit: 10 });
    const row = audit.rows.find((r) => r.action === 'training.pause' && r.entity === `training:${job.id}`);
    expect(row).toMatchObject({ actor: 'admin', reason: 'shift change: the line needs the CPU' });

    // While paused, a new job is refused in words instead of silently dropping the paused one.
    await expect(
      client.call('training.start', { goodDir, method: 'dfr', preset: 'fast', actor: 'Dana' }),
    ).rejects.toThrow(/is paused: resume or discard it/);
    await h.close();
    h = null;
  }, 240_000);

  it('a new station over the same data dir lists the paused job; resume continues the curve and saves', async () => {
    h = await httpHarness({ dataDir });
    const client = h.client;
    const listed = await client.call('training.status', {});
    expect(listed).toMatchObject({ id: pausedJob.id, state: 'paused', paused: pausedJob.paused });
    expect(steps(listed!)).toEqual(steps(pausedJob));

    const progress: TrainingJobDto[] = [];
    client.on('training.progress', (j) => progress.push(j));
    await new Promise((r) => setTimeout(r, 200));
    const resumed = await client.call('training.resume', { jobId: pausedJob.id, actor: 'Dana' });
    expect(['preparing', 'fitting']).toContain(resumed.state);
    const ready = await waitForJob(client, ['ready', 'failed']);
    expect(ready.error).toBeNull();
    expect(ready.state).toBe('ready');

    // The first training report after the resume is past the paused step, not back at step 1.
    const firstTrain = progress.find((j) => j.state === 'fitting' && j.progress.stage === 'train');
    expect(firstTrain?.progress.done).toBeGreaterThan(pausedJob.paused!.step!);
    // The curve holds every step once, from 1 to the last: the steps before the pause came from
    // the checkpoint, the rest were trained after the restart.
    const total = pausedJob.paused!.totalSteps!;
    expect(steps(ready)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(ready.lossCurve!.train.slice(0, steps(pausedJob).length)).toEqual(pausedJob.lossCurve!.train);

    const audit = await client.call('audit.list', { limit: 10 });
    expect(
      audit.rows.find((r) => r.action === 'training.resume' && r.entity === `training:${pausedJob.id}`),
    ).toMatchObject({ actor: 'admin', reason: 'resumed from the wizard' });

    const saved = await client.call('training.save', {
      jobId: pausedJob.id,
      t1: 1,
      t2: 1.5,
      targetFalseRejectRate: 0.02,
      deploy: false,
      actor: 'Dana',
      reason: 'resumed after a restart',
      signature: ADMIN_PASSWORD,
    } as never);
    const json = modelJsonSchema.parse(JSON.parse(readFileSync(join(saved.path, 'model.json'), 'utf8')));
    expect(json.training.device?.provider).toBe('cpu');
    expect(json.training.device?.skipped.map((s) => s.name)).toEqual(['cuda', 'dml', 'coreml', 'webgpu']);
    // Nothing of the paused job is left in the staging area.
    expect(readdirSync(join(dataDir, 'training'))).toEqual([]);
    expect(readdirSync(saved.path).filter((f) => f.includes('ckpt') || f.includes('paused'))).toEqual([]);

    // The same job uninterrupted (same images, same seed) ends where the resumed one did.
    await client.call('training.start', { goodDir, method: 'dfr', preset: 'fast', actor: 'Dana' });
    const straight = await waitForJob(client, ['ready', 'failed']);
    expect(straight.state).toBe('ready');
    const straightJson = modelJsonSchema.parse(
      JSON.parse(readFileSync(join(dataDir, 'training', straight.id, 'model.json'), 'utf8')),
    );
    const a = straight.lossCurve!.train;
    const b = ready.lossCurve!.train;
    expect(b.map((p) => p.step)).toEqual(a.map((p) => p.step));
    for (let i = 0; i < a.length; i++) expect(b[i].loss).toBeCloseTo(a[i].loss, 4);
    const [na, nb] = [straightJson.normalisation, json.normalisation];
    if (na.method !== 'minmax' || nb.method !== 'minmax') throw new Error('DFR normalises min–max');
    expect(nb.max).toBeCloseTo(na.max, 3);
    expect(nb.min).toBeCloseTo(na.min, 3);
    // model.json's per-epoch losses cover the whole run, the epochs before the pause included.
    const ea = straightJson.metrics.epochLosses as number[];
    const eb = json.metrics.epochLosses as number[];
    expect(eb).toHaveLength(ea.length);
    ea.forEach((l, i) => expect(eb[i]).toBeCloseTo(l, 4));
    await client.call('training.discard', { jobId: straight.id, actor: 'Dana' });
  }, 360_000);

  it('PatchCore refuses a pause in words; bad requests are refused before anything happens', async () => {
    const client = h!.client;
    const job = await client.call('training.start', {
      goodDir,
      method: 'patchcore',
      preset: 'fast',
      actor: 'Dana',
    });
    expect(job.pausable).toBe(false);
    await expect(client.call('training.pause', { jobId: job.id, actor: 'Dana' })).rejects.toThrow(
      /does not train by gradient steps .* no step to pause at/,
    );
    await expect(client.call('training.resume', { jobId: job.id, actor: 'Dana' })).rejects.toThrow(
      /only a paused job can be resumed/,
    );
    await expect(client.call('training.pause', { jobId: 'job-nope', actor: 'Dana' })).rejects.toThrow(
      /No training job job-nope/,
    );
    await expect(
      client.call('training.pause', { jobId: job.id, actor: 'Dana', reason: '' } as never),
    ).rejects.toThrow();
    await client.call('training.cancel', { jobId: job.id, actor: 'Dana' });
  }, 120_000);
});
