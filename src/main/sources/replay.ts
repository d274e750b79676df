// Replay: plays the images of a folder in natural order ("img2" before "img10") at a fixed rate,
// looping. Used for the demo line and to rehearse a model on recorded production images.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { naturalSort } from '../eval/natural-sort';
import type { ReplaySourceConfig } from './config';
import { isImageName, StateCell, type FrameSink, type FrameSource, type SourceState } from './types';

export class ReplaySource implements FrameSource {
  readonly label: string;
  private readonly cell = new StateCell();
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;

  constructor(
    readonly id: string,
    private readonly config: ReplaySourceConfig,
  ) {
    this.label = `replay:${config.folder}`;
  }

  state(): SourceState {
    return this.cell.get();
  }

  async start(sink: FrameSink): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.cell.attach(sink);
    this.loop = this.run(sink).catch((e: unknown) => {
      // run() handles expected failures itself; this is the last guard so a bug never surfaces
      // as an unhandled rejection that would take the process down.
      this.cell.set('error', `replay stopped: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp();
    await this.loop;
    this.cell.set('stopped', 'stopped');
    this.cell.attach(null);
  }

  private wakeUp(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Sleeps until `ms` passes or stop() is called. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => this.wakeUp(), Math.max(0, ms));
    });
  }

  private async list(sink: FrameSink): Promise<string[] | null> {
    let names: string[];
    try {
      names = await fsp.readdir(this.config.folder);
    } catch (e) {
      const msg = `cannot read replay folder ${this.config.folder}: ${(e as Error).message}`;
      this.cell.set('waiting', `${msg}; retrying`);
      sink.error({ message: msg, recoverable: true });
      return null;
    }
    const images = naturalSort(names.filter(isImageName));
    if (images.length === 0) {
      this.cell.set('waiting', `no images in ${this.config.folder}; retrying`);
      return null;
    }
    return images;
  }

  private async run(sink: FrameSink): Promise<void> {
    const period = this.config.fps > 0 ? 1000 / this.config.fps : 0;
    // Deadlines advance by whole periods from a fixed origin, so timer jitter does not add up
    // to a slower rate over a long replay.
    let next = performance.now();
    while (this.running) {
      const images = await this.list(sink);
      if (!images) {
        await this.sleep(1000);
        next = performance.now();
        continue;
      }
      this.cell.set(
        'running',
        `replaying ${images.length} images from ${this.config.folder}${this.config.fps > 0 ? ` at ${this.config.fps} fps` : ' as fast as inspected'}`,
      );
      for (const name of images) {
        if (!this.running) return;
        if (period > 0) {
          const wait = next - performance.now();
          if (wait > 0) await this.sleep(wait);
          // After a long stall (machine suspended) restart the schedule instead of bursting.
          next = Math.max(next + period, performance.now() - period);
        } else if (sink.ready) {
          await Promise.race([sink.ready(), new Promise<void>((r) => (this.wake = r))]);
          this.wake = null;
        }
        if (!this.running) return;
        let data: Buffer;
        try {
          data = await fsp.readFile(join(this.config.folder, name));
        } catch (e) {
          // A file removed between listing and reading is skipped, not fatal.
          sink.error({
            message: `cannot read ${name}: ${(e as Error).message}`,
            recoverable: true,
            item: name,
          });
          continue;
        }
        if (!this.running) return;
        sink.frame({
          id: `${this.id}:${++this.seq}`,
          at: new Date().toISOString(),
          source: this.label,
          image: data,
          name,
        });
      }
      if (!this.config.loop) {
        this.running = false;
        this.cell.set('stopped', `end of replay (${images.length} images)`);
        return;
      }
    }
  }
}
