import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Db } from '../../../db/client.ts';
import { answerBackupCommand } from '../../backup-command.ts';
import type { SlackMessage } from '../../views/blocks.ts';

/** Slack wants an answer within 3 s; past this we ack at once and follow up via response_url. */
const ACK_BUDGET_MS = 2000;

export interface CommandDeps {
  db: Db;
  log: Logger;
  tz: string;
}

/** /backup: ack -> one service call -> render. Replies are ephemeral. */
export function registerBackupCommand(app: App, deps: CommandDeps): void {
  app.command('/backup', async ({ command, ack, respond }) => {
    const work: Promise<SlackMessage> = answerBackupCommand({ db: deps.db, now: new Date(), tz: deps.tz }, command.text).catch((err: unknown) => {
      deps.log.error({ err, text: command.text }, '/backup failed');
      return { text: 'Sorry, that look-up failed. Try again; if it keeps failing, check the backupbot log.', blocks: [] };
    });
    const quick = await Promise.race([work, new Promise<null>((r) => setTimeout(() => r(null), ACK_BUDGET_MS).unref())]);
    if (quick) {
      await ack({ response_type: 'ephemeral', ...quick });
      return;
    }
    await ack({ response_type: 'ephemeral', text: 'Looking that up…' });
    await respond({ response_type: 'ephemeral', replace_original: true, ...(await work) });
  });
}
