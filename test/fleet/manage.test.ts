import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wantedIncidents } from '../../src/escalation/incidents.ts';
import { addCustomer, renameCustomer } from '../../src/fleet/customers.ts';
import { addServer, findServer, findUploader, pauseServer, removeServer, renameServer, resumeServer, setServer } from '../../src/fleet/servers.ts';
import { ingestReport } from '../../src/reports/ingest.ts';
import { fleetStatus, resultHistory } from '../../src/reports/status.ts';
import { buildNightlySummary } from '../../src/reports/summary.ts';
import { buildFailureDigest } from '../../src/reports/digest.ts';
import { recordMissedBackups } from '../../src/schedule/missed.ts';
import { servers } from '../../src/db/schema.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/rsync', name));
const refused = fixture('code10-connection-refused.log');
const DAY = 86400_000;

describe.each(DATABASES)('fleet management on %s', (_kind, open) => {
  let t: TestDb;
  const db = () => t.database.db;
  // Every server was added 10 days ago with a 22:00 UTC schedule; "now" is a morning after.
  const now = new Date('2026-11-23T07:00:00Z');
  const tokens = new Map<string, string>();

  async function upload(name: string, body: Buffer, finishedAt: Date) {
    const server = (await findServer(db(), name))!;
    return ingestReport(db(), server, Readable.from([body]), { format: 'auto', exitCode: null, startedAt: null, finishedAt }, 1e9);
  }

  beforeAll(async () => {
    t = await open();
    await addCustomer(db(), 'Acme');
    await addCustomer(db(), 'Beta');
    for (const [customer, name] of [
      ['Acme', 'DC01'],
      ['Beta', 'DC01'],
      ['Acme', 'web1'],
      ['Acme', 'web2'],
      ['Acme', 'web3'],
      ['Acme', 'old1'],
    ] as const) {
      const { token } = await addServer(db(), { customer, name, targetHost: 'custbak5' });
      tokens.set(`${customer}/${name}`, token);
    }
    // Backdate the fleet so last night's slot is expected of every server.
    await db().update(servers).set({ createdAt: new Date(now.getTime() - 400 * DAY) });
    for (const name of ['Acme/web1', 'Acme/web2', 'Acme/web3', 'Acme/old1']) await upload(name, refused, new Date(now.getTime() - 8 * 3600_000));
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('lets two customers each have a DC01, and asks which one when the name alone is ambiguous', async () => {
    await expect(findServer(db(), 'dc01')).rejects.toThrow(/"Acme\/DC01" or "Beta\/DC01"/);
    expect((await findServer(db(), 'beta/dc01'))!.customerName).toBe('Beta');
    await expect(addServer(db(), { customer: 'Acme', name: 'dc01' })).rejects.toThrow(/Acme already has a server called "dc01"/);
  });

  it('pages TSR3 for the target only while enough servers are really failing there; a paused or removed server never counts', async () => {
    let fleet = await fleetStatus(db(), { now });
    expect(wantedIncidents(fleet, 3).map((w) => [w.key, w.serverIds.length])).toEqual([['target:custbak5', 4]]);
    await pauseServer(db(), 'web1', { reason: 'being rebuilt', until: null, actor: 'cli:test', now });
    await removeServer(db(), 'old1', now);
    fleet = await fleetStatus(db(), { now });
    expect(fleet.find((s) => s.server.name === 'web1')!.state).toBe('paused');
    expect(fleet.some((s) => s.server.name === 'old1')).toBe(false);
    // Two connection failures left on custbak5: below the threshold, so each is its own ping.
    expect(wantedIncidents(fleet, 3).map((w) => w.key).sort()).toEqual(fleet.filter((s) => ['web2', 'web3'].includes(s.server.name)).map((s) => `server:${s.server.id}`).sort());
  });

  it('never records a paused or removed server as missing, and lists paused ones apart in the nightly', async () => {
    const missed = await recordMissedBackups(db(), now);
    const names = await Promise.all(missed.map(async (m) => (await fleetStatus(db(), { serverIds: [m.serverId], includeRemoved: true, now }))[0]!.server.name));
    // The two DC01s never sent anything: missing. web1 (paused) and old1 (removed) are not.
    expect(names.sort()).toEqual(['DC01', 'DC01']);
    const summary = await buildNightlySummary(db(), now);
    expect(summary.servers).toBe(5);
    expect(summary.counts).toMatchObject({ missing: 2, failed: 2, paused: 1, ok: 0 });
    expect(summary.quiet.map((r) => [r.server, r.status, r.pause?.reason])).toEqual([['web1', 'paused', 'being rebuilt']]);
    const missing = summary.problems.find((p) => p.status === 'missing')!;
    expect(missing.hint).toMatch(/scheduled backup task/);
    expect(missing.code).toBeNull();
    const digest = await buildFailureDigest(db(), new Date(now.getTime() + 3 * DAY), 3, 'UTC');
    expect(digest.rows.map((r) => r.server)).not.toContain('web1');
    expect(digest.rows.map((r) => r.server)).not.toContain('old1');
  });

  it('revokes a removed server\'s token and keeps its history reachable by name', async () => {
    expect(await findUploader(db(), tokens.get('Acme/old1')!)).toBeUndefined();
    const old = (await findServer(db(), 'old1'))!;
    expect(old.removedAt).not.toBeNull();
    expect(await resultHistory(db(), old.id, new Date(0))).toHaveLength(1);
    await expect(pauseServer(db(), 'old1', { reason: 'again', until: null, actor: 'x', now })).rejects.toThrow(/was removed/);
    // The name can be used again for a new server; the old one's history stays with the old row.
    await addServer(db(), { customer: 'Acme', name: 'old1' });
    expect((await findServer(db(), 'old1'))!.id).not.toBe(old.id);
  });

  it('keeps history, token and state across a rename of the server and of its customer', async () => {
    const before = (await findServer(db(), 'web2'))!;
    await renameServer(db(), 'web2', 'web2-new');
    await renameCustomer(db(), 'Acme', 'Acme Corp');
    const after = (await findServer(db(), 'Acme Corp/web2-new'))!;
    expect(after.id).toBe(before.id);
    expect(after.customerName).toBe('Acme Corp');
    expect(await resultHistory(db(), after.id, new Date(0))).toHaveLength(1);
    expect((await findUploader(db(), tokens.get('Acme/web2')!))!.id).toBe(before.id);
    await expect(renameServer(db(), 'web2-new', 'web3')).rejects.toThrow(/already has a server called "web3"/);
  });

  it('changes the schedule so that "missing" follows it, and validates what it is given', async () => {
    // web3 last reported 8 h before "now"; on a weekly Friday schedule, Sunday night is not due.
    await setServer(db(), 'web3', { scheduleCron: '0 22 * * 5', graceMinutes: 60 });
    const [web3] = await fleetStatus(db(), { serverIds: [(await findServer(db(), 'web3'))!.id], now: new Date('2026-11-27T10:00:00Z') });
    expect(web3!.state).toBe('failed');
    const [later] = await fleetStatus(db(), { serverIds: [web3!.server.id], now: new Date('2026-11-27T23:30:00Z') });
    expect(later!.state).toBe('missing');
    await expect(setServer(db(), 'web3', { scheduleCron: 'nightly' })).rejects.toThrow(/not a valid cron/);
    await expect(setServer(db(), 'web3', { timezone: 'Mars/Base' })).rejects.toThrow(/Time zone "Mars\/Base" is unknown/);
    await expect(setServer(db(), 'web3', {})).rejects.toThrow(/Nothing to change/);
    await expect(setServer(db(), 'web3', { customer: 'Nobody' })).rejects.toThrow(/Customer "Nobody" does not exist/);
    const moved = await setServer(db(), 'web3', { customer: 'Beta', targetHost: 'custbak9' });
    expect(moved.server).toMatchObject({ customerName: 'Beta', targetHost: 'custbak9' });
  });

  it('resumes a paused server from the next slot, not counting the nights it was paused', async () => {
    const resumedAt = new Date(now.getTime() + 2 * DAY);
    await resumeServer(db(), 'web1', resumedAt);
    const id = (await findServer(db(), 'web1'))!.id;
    const [right] = await fleetStatus(db(), { serverIds: [id], now: new Date(resumedAt.getTime() + 3600_000) });
    expect(right!.state).toBe('failed'); // its last real result, until a slot after the resume is due
    await expect(resumeServer(db(), 'web1', resumedAt)).rejects.toThrow(/is not paused/);
  });
});
