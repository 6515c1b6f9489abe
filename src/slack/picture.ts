import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Progress } from '../schedule/ledger.ts';
import type { Publisher } from './publish.ts';
import { slackErrorCode } from './publish.ts';
import type { SlackMessage } from './views/blocks.ts';

/** Makes the picture for the nightly thread. */
export type PictureMaker = () => Promise<{ png: Buffer; filename: string; title: string; altText: string }>;

const isNightly = (messages: SlackMessage[]) => messages[0]?.meta?.kind === 'nightly';

/**
 * Wraps a Slack publisher so that a nightly summary gets a PNG of the fleet's last 30 days in
 * its thread, uploaded once: the ledger's progress records that it was sent, so a resumed run
 * posts neither the messages nor the picture twice. A failed upload is logged with what to fix
 * and does not undo the post.
 */
export function withFleetPicture(inner: Publisher, client: WebClient, make: PictureMaker, log: Logger): Publisher {
  return {
    kind: inner.kind,
    async publish(channel, messages, progress, onPosted) {
      let latest: Progress = progress;
      let ours = true;
      await inner.publish(channel, messages, progress, async (p) => {
        latest = { ...p, ...(progress.picture ? { picture: true } : {}) };
        ours = await onPosted(latest);
        return ours;
      });
      if (!ours || !channel || !isNightly(messages) || latest.picture || !latest.threadTs || latest.posted < messages.length) return;
      try {
        const pic = await make();
        await client.filesUploadV2({
          channel_id: channel,
          thread_ts: latest.threadTs,
          file: pic.png,
          filename: pic.filename,
          title: pic.title,
          alt_text: pic.altText,
        });
        await onPosted({ ...latest, picture: true });
      } catch (err) {
        const code = slackErrorCode(err);
        const fix =
          code === 'missing_scope'
            ? 'add the files:write scope to the Slack app and reinstall it'
            : code === 'not_in_channel'
              ? 'invite the bot to the summary channel'
              : 'check the error; the summary itself was posted';
        log.error({ err, slackError: code, channel }, `the fleet picture could not be added to the nightly thread: ${fix}`);
      }
    },
  };
}
