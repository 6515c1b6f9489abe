import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Origin } from '../../action-ids.ts';
import { ACTION, parseExceptionRef, parseReportRef, STALE_BUTTON } from '../../action-ids.ts';
import { decide, downloadLog, removeByButton, tell, type WorkflowDeps } from '../../workflows.ts';
import { guarded, originOf, workflowDeps, type ListenerDeps } from '../context.ts';

type Run = (wf: WorkflowDeps, args: { userId: string; id: number; origin: Origin }) => Promise<void>;

/** A button whose value names one row: ack, decode the value (or say it is stale), run. */
function onButton(app: App, deps: ListenerDeps, actionId: string, parse: (value: string | undefined) => number | null, run: Run): void {
  app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client }) => {
    await ack();
    const wf = workflowDeps(deps, client);
    const origin = originOf(body);
    const id = parse(action.value);
    if (id === null) return tell(wf, body.user.id, origin, STALE_BUTTON);
    await guarded(wf, body.user.id, origin, () => run(wf, { userId: body.user.id, id, origin }));
  });
}

/** Approve / Reject on an approval request, Remove on the exception list, Download log in details. */
export function registerExceptionActions(app: App, deps: ListenerDeps): void {
  onButton(app, deps, ACTION.approve, parseExceptionRef, (wf, a) => decide(wf, { userId: a.userId, exceptionId: a.id, decision: 'approve', origin: a.origin }));
  onButton(app, deps, ACTION.reject, parseExceptionRef, (wf, a) => decide(wf, { userId: a.userId, exceptionId: a.id, decision: 'reject', origin: a.origin }));
  onButton(app, deps, ACTION.removeException, parseExceptionRef, (wf, a) => removeByButton(wf, { userId: a.userId, exceptionId: a.id, origin: a.origin }));
  onButton(app, deps, ACTION.downloadLog, parseReportRef, (wf, a) => downloadLog(wf, { userId: a.userId, reportId: a.id, origin: a.origin }));
}
