// People and roles over both transports: what each role may and may not do, signatures
// (password re-entered) for deploy, rollback and thresholds, first-start administrator, and
// accounts that are disabled or still on a password someone else chose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationClient } from '@shared/api';
import { openStation } from '../../../src/main/station-services';
import { ADMIN_PASSWORD, httpHarness, ipcHarness, personClient, tempDir, type Harness } from './harness';

const forbidden = { code: 'forbidden' };

function rolesSuite(name: string, make: () => Promise<Harness>): void {
  describe(`people and roles over ${name}`, () => {
    let h: Harness;
    let operator: StationClient;
    let qa: StationClient;
    let engineer: StationClient;
    beforeAll(async () => {
      h = await make();
      operator = await personClient(h, 'olga', 'operator');
      qa = await personClient(h, 'quinn', 'qa');
      engineer = await personClient(h, 'erik', 'engineer');
    });
    afterAll(async () => {
      await h.close();
    });

    it('answers nothing but auth.status before sign-in', async () => {
      const anon = await h.connect();
      const status = await anon.call('auth.status', {});
      expect(status).toMatchObject({ user: null, firstRun: false, oneTimePassword: null });
      expect(status.signed.sort()).toEqual(
        [
          'models.deploy',
          'models.rollback',
          'station.setThresholds',
          'training.save',
          'products.deploy',
          'products.update',
          'products.activate',
        ].sort(),
      );
      for (const m of ['station.state', 'inspections.list', 'settings.get'] as const) {
        await expect(anon.call(m, {})).rejects.toMatchObject(forbidden);
      }
      await expect(
        anon.call('auth.signIn', { name: 'olga', password: 'wrong-password' }),
      ).rejects.toMatchObject(forbidden);
    });

    it('lets an operator run the line and look, nothing more', async () => {
      expect((await operator.call('auth.status', {})).user).toMatchObject({ name: 'olga', role: 'operator' });
      await expect(operator.call('station.state', {})).resolves.toBeDefined();
      await expect(operator.call('inspections.list', {})).resolves.toBeDefined();
      await expect(operator.call('station.stop', {})).resolves.toBeDefined();
      await expect(
        operator.call('reviews.record', { inspectionId: 1, decision: 'defect_confirmed', reviewer: 'x' }),
      ).rejects.toMatchObject(forbidden);
      await expect(operator.call('audit.list', {})).rejects.toMatchObject(forbidden);
      await expect(
        operator.call('station.setThresholds', { t1: 0.4, t2: 0.6, actor: 'x', reason: 'r' }),
      ).rejects.toMatchObject(forbidden);
      await expect(
        operator.call('sources.test', { source: { kind: 'replay', folder: '/tmp' } }),
      ).rejects.toMatchObject(forbidden);
      await expect(operator.call('users.list', {})).rejects.toMatchObject(forbidden);
    });

    it('lets QA review and read the audit trail, not change the model or thresholds', async () => {
      // Admitted: the answer is about the (missing) inspection, not about the role.
      await expect(
        qa.call('reviews.record', { inspectionId: 999_999, decision: 'defect_confirmed', reviewer: 'x' }),
      ).rejects.toMatchObject({ code: 'not_found' });
      await expect(qa.call('audit.list', {})).resolves.toBeDefined();
      await expect(
        qa.call('models.rollback', { actor: 'x', reason: 'r', signature: 'quinn-password' } as never),
      ).rejects.toMatchObject(forbidden);
      await expect(qa.call('settings.update', { patch: {}, actor: 'x', reason: 'r' })).rejects.toMatchObject(
        forbidden,
      );
    });

    it('makes an engineer sign threshold, deploy and rollback changes with the password', async () => {
      const req = { t1: 0.4, t2: 0.6, actor: 'x', reason: 'tuning' };
      await expect(engineer.call('station.setThresholds', req)).rejects.toThrow(/enter your password again/);
      await expect(
        engineer.call('station.setThresholds', { ...req, signature: 'not-it' } as never),
      ).rejects.toThrow(/Signature refused/);
      // Signed correctly, the call reaches the station (which has no model loaded here).
      const signed = engineer.call('station.setThresholds', { ...req, signature: 'erik-password' } as never);
      await expect(signed).rejects.not.toMatchObject(forbidden);
      await expect(engineer.call('models.rollback', { actor: 'x', reason: 'r' })).rejects.toMatchObject(
        forbidden,
      );
      await expect(
        engineer.call('models.rollback', { actor: 'x', reason: 'r', signature: 'erik-password' } as never),
      ).rejects.not.toMatchObject(forbidden);
      await expect(engineer.call('users.list', {})).rejects.toMatchObject(forbidden);
      const rows = (await h.client.call('audit.list', { limit: 50 })).rows;
      expect(rows.some((r) => r.action === 'auth.signature_failed' && r.actor === 'erik')).toBe(true);
    });

    it('lets the administrator manage accounts; a disabled account is signed out at once', async () => {
      const list = await h.client.call('users.list', {});
      expect(list.map((u) => `${u.name}:${u.role}`)).toEqual([
        'admin:admin',
        'erik:engineer',
        'olga:operator',
        'quinn:qa',
      ]);
      await h.client.call('users.update', {
        name: 'olga',
        disabled: true,
        actor: 'x',
        reason: 'left the company',
      });
      await expect(operator.call('station.state', {})).rejects.toMatchObject(forbidden);
      const again = await h.connect();
      await expect(
        again.call('auth.signIn', { name: 'olga', password: 'olga-password' }),
      ).rejects.toMatchObject(forbidden);
      // The last administrator cannot be removed.
      await expect(
        h.client.call('users.update', { name: 'admin', role: 'qa', actor: 'x', reason: 'oops' }),
      ).rejects.toMatchObject({ code: 'conflict' });
      const rows = (await h.client.call('audit.list', { limit: 50 })).rows;
      const row = rows.find((r) => r.action === 'users.update' && r.entity === 'user:olga');
      expect(row).toMatchObject({ actor: 'admin', reason: 'left the company' });
      expect(JSON.stringify(rows)).not.toMatch(/scrypt\$/);
    });

    it('holds a new account to its first password change, and locks after repeated wrong passwords', async () => {
      await h.client.call('users.create', {
        name: 'nina',
        displayName: 'Nina',
        role: 'qa',
        password: '4711',
        actor: 'x',
        reason: 'new starter',
      });
      const nina = await h.connect();
      await nina.call('auth.signIn', { name: 'nina', password: '4711' });
      await expect(nina.call('audit.list', {})).rejects.toThrow(/Choose your own password/);
      await nina.call('auth.changePassword', { oldPassword: '4711', newPassword: '90210' });
      await expect(nina.call('audit.list', {})).resolves.toBeDefined();
      const other = await h.connect();
      for (let i = 0; i < 5; i++) {
        await expect(other.call('auth.signIn', { name: 'nina', password: 'nope' })).rejects.toThrow(
          /not correct/,
        );
      }
      await expect(other.call('auth.signIn', { name: 'nina', password: '90210' })).rejects.toThrow(
        /Too many/,
      );
      // The Users screen shows the lockout; only an administrator lifts it, and it is audited.
      const listed = (await h.client.call('users.list', {})).find((u) => u.name === 'nina');
      expect(Date.parse(listed!.lockedUntil!)).toBeGreaterThan(Date.now());
      await expect(
        engineer.call('users.unlock', { name: 'nina', actor: 'x', reason: 'r' }),
      ).rejects.toMatchObject(forbidden);
      const unlocked = await h.client.call('users.unlock', {
        name: 'nina',
        actor: 'x',
        reason: 'called the help desk, identity checked',
      });
      expect(unlocked.lockedUntil).toBeNull();
      await expect(other.call('auth.signIn', { name: 'nina', password: '90210' })).resolves.toMatchObject({
        user: { name: 'nina' },
      });
      await expect(
        h.client.call('users.unlock', { name: 'nina', actor: 'x', reason: 'again' }),
      ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/not locked out/) });
      await expect(
        h.client.call('users.unlock', { name: 'nobody', actor: 'x', reason: 'r' }),
      ).rejects.toMatchObject({ code: 'not_found' });
      const rows = (await h.client.call('audit.list', { limit: 30 })).rows;
      expect(rows.find((r) => r.action === 'users.unlock' && r.entity === 'user:nina')).toMatchObject({
        actor: 'admin',
        reason: 'called the help desk, identity checked',
      });
    });

    it('lets the administrator change a role and reset a password; the person is signed out and must choose a new one', async () => {
      const vera = await personClient(h, 'vera', 'operator');
      await h.client.call('users.update', { name: 'vera', role: 'engineer', actor: 'x', reason: 'promoted' });
      await expect(vera.call('station.state', {})).rejects.toMatchObject(forbidden);
      await h.client.call('users.update', {
        name: 'vera',
        password: '55667788',
        actor: 'x',
        reason: 'forgot her password',
      });
      const again = await h.connect();
      await expect(
        again.call('auth.signIn', { name: 'vera', password: 'vera-password' }),
      ).rejects.toMatchObject(forbidden);
      const status = await again.call('auth.signIn', { name: 'vera', password: '55667788' });
      expect(status.user).toMatchObject({ role: 'engineer', mustChangePassword: true });
      await expect(again.call('training.methods', {})).rejects.toThrow(/Choose your own password/);
      const rows = (await h.client.call('audit.list', { limit: 30 })).rows;
      const reset = rows.find((r) => r.action === 'users.update' && r.reason === 'forgot her password');
      expect(JSON.parse(reset!.newValue!)).toEqual({ password: 'reset' });
    });

    it('signs out', async () => {
      const c = await h.connect();
      await c.call('auth.signIn', { name: 'admin', password: ADMIN_PASSWORD });
      await expect(c.call('station.state', {})).resolves.toBeDefined();
      await c.call('auth.signOut', {});
      await expect(c.call('station.state', {})).rejects.toMatchObject(forbidden);
    });
  });
}

rolesSuite('HTTP + WebSocket', () => httpHarness());
rolesSuite('Electron IPC', () => ipcHarness());

describe('first start', () => {
  it('creates the administrator with a one-time password, shown only to the desktop window', async () => {
    const station = await openStation({ dataDir: tempDir('first-'), mode: 'headless', usb: false });
    try {
      expect(station.firstAdminPassword).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
      const local = station.access.auth('auth.status', {}, { session: null, local: true }).result;
      const remote = station.access.auth('auth.status', {}, { session: null, local: false }).result;
      expect(local).toMatchObject({ firstRun: true, oneTimePassword: station.firstAdminPassword });
      expect(remote).toMatchObject({ firstRun: true, oneTimePassword: null });
      const rows = station.audit.list({ limit: 10 }).rows;
      expect(rows.some((r) => r.action === 'users.create' && r.entity === 'user:admin')).toBe(true);
    } finally {
      await station.close();
    }
  });
});
