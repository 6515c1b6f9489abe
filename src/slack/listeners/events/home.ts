import type { App } from '@slack/bolt';
import { asView } from '../../views/modals.ts';
import { homeFor } from '../../workflows.ts';
import type { ListenerDeps } from '../context.ts';

export function registerAppHome(app: App, deps: ListenerDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const approver = await deps.approvers(client).isApprover(event.user);
    await client.views.publish({ user_id: event.user, view: asView(await homeFor(deps.db, approver, new Date())) });
  });
}
