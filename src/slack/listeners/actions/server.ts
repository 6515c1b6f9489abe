import type { App, BlockAction, ButtonAction, OverflowAction } from '@slack/bolt';
import { ACTION, parseServerRef, STALE_BUTTON } from '../../action-ids.ts';
import { startServerAction, tell } from '../../workflows.ts';
import { guarded, originOf, workflowDeps, type ListenerDeps } from '../context.ts';

/** The "⋯" menu on a server in a list, and the buttons on a one-server reply. */
export function registerServerActions(app: App, deps: ListenerDeps): void {
  const handler = async ({ ack, body, action, client }: { ack: () => Promise<void>; body: BlockAction; action: ButtonAction | OverflowAction; client: App['client'] }) => {
    await ack();
    const wf = workflowDeps(deps, client);
    const origin = originOf(body);
    const value = action.type === 'overflow' ? action.selected_option.value : action.value;
    const ref = parseServerRef(value);
    if (!ref) return tell(wf, body.user.id, origin, STALE_BUTTON);
    await guarded(wf, body.user.id, origin, () => startServerAction(wf, { ref, userId: body.user.id, triggerId: body.trigger_id, origin }));
  };
  app.action<BlockAction<OverflowAction>>(ACTION.serverMenu, handler);
  for (const id of [ACTION.ack, ACTION.exception, ACTION.reparse, ACTION.details, ACTION.accept]) app.action<BlockAction<ButtonAction>>(id, handler);
}
