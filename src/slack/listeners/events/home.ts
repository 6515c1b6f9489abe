import type { App } from '@slack/bolt';
import { activeAcks } from '../../../acks/acknowledge.ts';
import type { Status } from '../../../reports/classify.ts';
import { failingPaths } from '../../../reports/problems.ts';
import { fleetStatus, statusOf } from '../../../reports/status.ts';
import { problemOf } from '../../../reports/summary.ts';
import { homeView } from '../../views/home.ts';
import { pendingApprovals } from '../../workflows.ts';
import type { ListenerDeps } from '../context.ts';

export function registerAppHome(app: App, deps: ListenerDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const fleet = await fleetStatus(deps.db);
    const counts: Record<Status | 'none', number> = { failed: 0, incomplete: 0, missing: 0, none: 0, ok: 0 };
    for (const s of fleet) counts[statusOf(s)]++;
    const bad = fleet.filter((s) => s.latest && s.latest.status !== 'ok');
    const [paths, acks] = await Promise.all([failingPaths(deps.db, bad.map((s) => s.latest!.id)), activeAcks(deps.db, bad.map((s) => s.server.id))]);
    const open = bad.map((s) => problemOf(s, paths, acks)!);
    const approver = await deps.approvers(client).isApprover(event.user);
    const view = homeView(counts, open, approver ? await pendingApprovals(deps.db) : null, new Date());
    await client.views.publish({ user_id: event.user, view: view as never });
  });
}
