// The outbox side alone (no server): entries commit and roll back with the writes they name.
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/main/storage';
import { SimStation } from './station-fixture';

describe('fleet outbox', () => {
  let s: SimStation | null = null;
  afterEach(() => s?.close());

  it('an inspection rolled back leaves no outbox entry; a committed one leaves exactly one, in order', async () => {
    s = await SimStation.create('tx');
    const st = s;
    expect(() =>
      st.db.transaction(() => {
        st.inspections.insert({
          at: 'x',
          source: 's',
          modelId: 'm',
          modelVersion: 1,
          rawScore: 0,
          normScore: 0,
          verdict: 'PASS',
          latencyMs: 0,
        });
        throw new Error('disk full');
      })(),
    ).toThrow('disk full');
    expect(new Outbox(st.db).status().queued).toBe(0);
    const ids = await st.inspect(10); // the 10th is REVIEW with an image
    st.reviews.record({ inspectionId: ids[9], reviewer: 'qa', decision: 'defect_confirmed' });
    const entries = new Outbox(st.db).read(0, 100).map((e) => `${e.kind}:${e.entityId}`);
    expect(entries.slice(0, 9)).toEqual(ids.slice(0, 9).map((id) => `inspection:${id}`));
    expect(entries.slice(9)).toEqual([`inspection:${ids[9]}`, `image:${ids[9]}`, 'review:1', 'audit:1']);
    expect(new Outbox(st.db).ack(entries.length)).toBe(13);
    expect(new Outbox(st.db).status()).toMatchObject({ queued: 0, dropped: 0, full: false });
  });
});
