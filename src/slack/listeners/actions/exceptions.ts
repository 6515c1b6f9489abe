import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACTION, parseExceptionRef, parseReportRef, STALE_BUTTON } from '../../action-ids.ts';
import { decide, downloadLog, removeByButton, tell } from '../../workflows.ts';
import { guarded, originOf, workflowDeps, type ListenerDeps } from '../context.ts';

/** Approve / Reject on an approval request, Remove on the exception list, Download log in details. */
export function registerExceptionActions(app: App, deps: ListenerDeps): void {
  for (const [id, decision] of [
    [ACTION.approve, 'approve'],
    [ACTION.reject, 'reject'],
  ] as const) {
    app.action<BlockAction<ButtonAction>>(id, async ({ ack, body, action, client }) => {
      await ack();
      const wf = workflowDeps(deps, client);
      const origin = originOf(body);
      const exceptionId = parseExceptionRef(action.value);
      if (exceptionId === null) return tell(wf, body.user.id, origin, STALE_BUTTON);
      await guarded(wf, body.user.id, origin, () => decide(wf, { userId: body.user.id, exceptionId, decision, origin }));
    });
  }
  app.action<BlockAction<ButtonAction>>(ACTION.removeException, async ({ ack, body, action, client }) => {
    await ack();
    const wf = workflowDeps(deps, client);
    const origin = originOf(body);
    const exceptionId = parseExceptionRef(action.value);
    if (exceptionId === null) return tell(wf, body.user.id, origin, STALE_BUTTON);
    await guarded(wf, body.user.id, origin, () => removeByButton(wf, { userId: body.user.id, exceptionId, origin }));
  });
  app.action<BlockAction<ButtonAction>>(ACTION.downloadLog, async ({ ack, body, action, client }) => {
    await ack();
    const wf = workflowDeps(deps, client);
    const origin = originOf(body);
    const reportId = parseReportRef(action.value);
    if (reportId === null) return tell(wf, body.user.id, origin, STALE_BUTTON);
    await guarded(wf, body.user.id, origin, () => downloadLog(wf, { userId: body.user.id, reportId, origin }));
  });
}
