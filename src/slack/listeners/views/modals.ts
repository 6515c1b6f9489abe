import type { App } from '@slack/bolt';
import { checkPattern } from '../../../exceptions/match.ts';
import { VIEW } from '../../action-ids.ts';
import { decodeMetadata, exceptionMatchErrors, submitAccept, submitAck, submitException, type ExceptionForm } from '../../workflows.ts';
import { guarded, workflowDeps, type ListenerDeps } from '../context.ts';

type Values = Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null; selected_date?: string | null }>>;

/** Checked before the modal closes, so Slack shows the problem next to the field. */
export function exceptionFormErrors(form: ExceptionForm, today: string): Record<string, string> | null {
  const errors: Record<string, string> = {};
  const problem = checkPattern(form.pattern);
  if (problem) errors.pattern = problem;
  if (form.reason.trim().length < 3) errors.reason = 'Say why these files may fail, e.g. "backed up by NTBackup nightly".';
  if (form.expires && form.expires < today) errors.expires = 'Pick a date from today on, or leave it empty.';
  return Object.keys(errors).length ? errors : null;
}

export function registerModalSubmissions(app: App, deps: ListenerDeps): void {
  app.view(VIEW.ack, async ({ ack, body, view, client }) => {
    await ack();
    const wf = workflowDeps(deps, client);
    const values = view.state.values as Values;
    const meta = decodeMetadata(view.private_metadata);
    await guarded(wf, body.user.id, meta?.origin ?? {}, () =>
      submitAck(wf, { userId: body.user.id, metadata: view.private_metadata, note: values.note?.value?.value ?? null }),
    );
  });

  app.view(VIEW.accept, async ({ ack, body, view, client }) => {
    const reason = ((view.state.values as Values).reason?.value?.value ?? '').trim();
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say why this run is the new normal, e.g. "old archives deleted on 3 May".' } });
      return;
    }
    await ack();
    const wf = workflowDeps(deps, client);
    const meta = decodeMetadata(view.private_metadata);
    await guarded(wf, body.user.id, meta?.origin ?? {}, () => submitAccept(wf, { userId: body.user.id, metadata: view.private_metadata, reason }));
  });

  app.view(VIEW.exception, async ({ ack, body, view, client }) => {
    const values = view.state.values as Values;
    const form: ExceptionForm = {
      pattern: values.pattern?.value?.value ?? '',
      scope: values.scope?.value?.selected_option?.value ?? 'server',
      reason: values.reason?.value?.value ?? '',
      expires: values.expires?.value?.selected_date ?? null,
    };
    const errors = exceptionFormErrors(form, new Date().toISOString().slice(0, 10)) ?? (await exceptionMatchErrors(deps.db, view.private_metadata, form.pattern));
    if (errors) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const wf = workflowDeps(deps, client);
    const meta = decodeMetadata(view.private_metadata);
    await guarded(wf, body.user.id, meta?.origin ?? {}, async () => {
      await submitException(wf, { userId: body.user.id, metadata: view.private_metadata, form });
    });
  });
}
