import { suspectThresholdsOf } from '../../../config.ts';
import type { App } from '@slack/bolt';
import { answerBackupCommand, type CommandAnswer } from '../../backup-command.ts';
import type { ListenerDeps } from '../context.ts';
import { publicBase, signInUrl, webSecret } from '../../../web/auth.ts';

/** Links handed out in Slack are short-lived: they are easy to forward. */
const WEB_LINK_HOURS = 8;

/** Slack wants an answer within 3 s; past this we ack at once and follow up via response_url. */
const ACK_BUDGET_MS = 2000;

/** /backup: ack -> one service call -> render. Replies are ephemeral. */
export function registerBackupCommand(app: App, deps: ListenerDeps): void {
  app.command('/backup', async ({ command, ack, respond, client }) => {
    const approvers = deps.approvers(client);
    const admins = deps.admins?.(client);
    const isApprover = () => approvers.isApprover(command.user_id);
    const isAdmin = async () => (admins ? await admins.isApprover(command.user_id) : false) || (await isApprover());
    const env = {
      db: deps.db,
      now: new Date(),
      tz: deps.config.TZ,
      userId: command.user_id,
      isApprover,
      isAdmin,
      suspect: suspectThresholdsOf(deps.config),
      webLink: async () => signInUrl(publicBase(deps.config.PUBLIC_URL, deps.config.PORT), await webSecret(deps.db, deps.config.WEB_SECRET), command.user_id, WEB_LINK_HOURS),
    };
    const work: Promise<CommandAnswer> = answerBackupCommand(env, command.text).catch((err: unknown) => {
      deps.log.error({ err, text: command.text }, '/backup failed');
      return { reply: { text: 'Sorry, that look-up failed. Try again; if it keeps failing, check the backupbot log.', blocks: [] } };
    });
    const quick = await Promise.race([work, new Promise<null>((r) => setTimeout(() => r(null), ACK_BUDGET_MS).unref())]);
    if (quick) await ack({ response_type: 'ephemeral', ...quick.reply });
    else await ack({ response_type: 'ephemeral', text: 'Looking that up…' });
    const answer = quick ?? (await work);
    if (!quick) await respond({ response_type: 'ephemeral', replace_original: true, ...answer.reply });
    if (answer.followUp) {
      await answer.followUp((m) => respond({ response_type: 'ephemeral', replace_original: true, ...m }).then(() => undefined)).catch((err: unknown) => {
        deps.log.error({ err, text: command.text }, '/backup follow-up failed');
        return respond({ response_type: 'ephemeral', text: 'Sorry, that did not finish; check the backupbot log.' });
      });
    }
  });
}
