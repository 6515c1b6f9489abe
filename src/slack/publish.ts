import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Progress } from '../schedule/ledger.ts';
import { toPlainText, type SlackMessage } from './views/blocks.ts';

/**
 * Where scheduled summaries go: a Slack channel, or the log when no workspace is set up.
 * Messages after the first are posted as replies in its thread.
 */
export interface Publisher {
  kind: 'slack' | 'log';
  publish(
    channel: string | undefined,
    messages: SlackMessage[],
    progress: Progress,
    onPosted: (progress: Progress) => Promise<boolean>,
  ): Promise<void>;
}

/** Slack errors that retrying will not fix, with what the admin should do. */
const PERMANENT: Record<string, string> = {
  channel_not_found: 'the channel id is wrong, or the channel is private and the bot is not in it: check the SLACK_*_CHANNEL setting',
  not_in_channel: 'invite the bot to the channel (/invite @backupbot)',
  is_archived: 'the channel is archived: unarchive it or pick another SLACK_*_CHANNEL',
  invalid_auth: 'SLACK_BOT_TOKEN is wrong or was revoked: copy the Bot User OAuth Token again',
  not_authed: 'SLACK_BOT_TOKEN is missing',
  account_inactive: 'the bot token belongs to a deleted app or user: reinstall the app',
  token_revoked: 'the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN',
  missing_scope: 'the app lacks a scope (chat:write): update the manifest and reinstall',
  invalid_blocks: 'Slack rejected the message layout: this is a backupbot bug, please report it',
  msg_too_long: 'Slack rejected the message length: this is a backupbot bug, please report it',
};

export class PermanentSlackError extends Error {
  override name = 'PermanentSlackError';
  constructor(
    readonly slackError: string,
    readonly fix: string,
  ) {
    super(`Slack refused the post (${slackError}): ${fix}.`);
  }
}

export function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/** Called after each message is posted (to remember it for later in-place updates). */
export type OnPosted = (channel: string, ts: string, message: SlackMessage, threadTs?: string) => Promise<void>;

export function slackPublisher(client: WebClient, recordPosted?: OnPosted): Publisher {
  return {
    kind: 'slack',
    async publish(channel, messages, progress, onPosted) {
      if (!channel) throw new PermanentSlackError('no_channel', 'set the channel for this post (SLACK_SUMMARY_CHANNEL / SLACK_FAILURE_CHANNEL)');
      let { posted, threadTs } = progress;
      for (let i = posted; i < messages.length; i++) {
        const m = messages[i]!;
        try {
          const res = await client.chat.postMessage({
            channel,
            text: m.text,
            blocks: m.blocks,
            unfurl_links: false,
            ...(i > 0 && threadTs ? { thread_ts: threadTs } : {}),
          });
          if (i === 0) threadTs = res.ts;
          if (res.ts && recordPosted) await recordPosted(res.channel ?? channel, res.ts, m, i > 0 ? threadTs : undefined);
        } catch (err) {
          const code = slackErrorCode(err);
          if (code && PERMANENT[code]) throw new PermanentSlackError(code, PERMANENT[code]);
          throw err;
        }
        posted = i + 1;
        const next: Progress = threadTs ? { posted, threadTs } : { posted };
        if (!(await onPosted(next))) return; // another replica took over
      }
    },
  };
}

/** Without a Slack workspace, the same summaries go to the log as plain text. */
export function logPublisher(log: Logger, write?: (text: string) => void): Publisher {
  return {
    kind: 'log',
    async publish(channel, messages, progress, onPosted) {
      const text = toPlainText(messages.slice(progress.posted));
      if (write) write(text + '\n');
      else log.info({ channel: channel ?? null, summary: text }, 'summary (Slack is not configured, so it is logged instead)');
      await onPosted({ posted: messages.length });
    },
  };
}
