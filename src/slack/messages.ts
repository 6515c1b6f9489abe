import type { WebClient } from '@slack/web-api';
import { and, gte, sql, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { postedMessages } from '../db/schema.ts';
import { serverBlockId, serverIdsInBlocks } from './action-ids.ts';
import type { Block, SlackMessage } from './views/blocks.ts';
import { LIMITS, truncate } from './views/blocks.ts';

/** Remembers a posted message so it can be updated for one server later. */
export async function recordPosted(db: Db, channel: string, ts: string, m: SlackMessage): Promise<void> {
  await db
    .insert(postedMessages)
    .values({ channel, ts, blocks: m.blocks, text: m.text, serverIds: serverIdsInBlocks(m.blocks) })
    .onConflictDoNothing();
}

const MARK = '\n:bookmark: ';

const queues = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call with the same key has finished. */
function serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}
const UPDATE_WINDOW_MS = 8 * 24 * 60 * 60 * 1000;

/**
 * Replaces (or adds) the status mark of one server's block. `final` drops its actions (the
 * server is ok now); otherwise an acknowledgement drops just the Acknowledge item.
 */
export function markBlock(blocks: Block[], serverId: number, mark: string, final: boolean): Block[] | null {
  const acked = mark.includes(':eyes: Acknowledged by');
  let changed = false;
  const next = blocks.map((b) => {
    if (b.block_id !== serverBlockId(serverId) || b.type !== 'section') return b;
    changed = true;
    const base = b.text.text.split(MARK)[0]!.replace(/\n:eyes: Acknowledged by .*$/s, '');
    const text = truncate(`${base}${MARK}${mark}`, LIMITS.sectionText);
    const { accessory, ...rest } = b;
    const kept =
      accessory?.type === 'overflow' && acked ? { ...accessory, options: accessory.options.filter((o) => !o.value.startsWith('v1:ack:')) } : accessory;
    return { ...rest, text: { ...b.text, text }, ...(kept && !final ? { accessory: kept } : {}) };
  });
  return changed ? next : null;
}

/**
 * Updates, in place (chat.update), every recent bot message that shows the server: after an
 * acknowledgement, or when an approved exception changed its verdict.
 */
export async function markServerEverywhere(db: Db, client: WebClient, serverId: number, mark: string, final = false): Promise<number> {
  const since = new Date(Date.now() - UPDATE_WINDOW_MS);
  const rows = await db
    .select({ channel: postedMessages.channel, ts: postedMessages.ts })
    .from(postedMessages)
    .where(and(gte(postedMessages.postedAt, since), sql`${postedMessages.serverIds} @> ${JSON.stringify([serverId])}::jsonb`));
  let updated = 0;
  for (const { channel, ts } of rows) {
    // One update of a message at a time, so two people acting on servers of the same message
    // cannot undo each other's mark. (Not a database lock: that would hold the embedded
    // database while Slack answers, or waits out a rate limit.)
    const done = await serially(`${channel}:${ts}`, async () => {
      const [row] = await db.select().from(postedMessages).where(and(eq(postedMessages.channel, channel), eq(postedMessages.ts, ts)));
      const blocks = row && markBlock(row.blocks as Block[], serverId, mark, final);
      if (!row || !blocks) return false;
      await client.chat.update({ channel, ts, text: row.text, blocks });
      await db.update(postedMessages).set({ blocks }).where(and(eq(postedMessages.channel, channel), eq(postedMessages.ts, ts)));
      return true;
    });
    if (done) updated++;
  }
  return updated;
}
