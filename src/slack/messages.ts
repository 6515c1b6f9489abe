import type { WebClient } from '@slack/web-api';
import { and, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { postedMessages } from '../db/schema.ts';
import { serverRows } from '../reports/summary.ts';
import type { ServerRow } from '../reports/summary.ts';
import { fleetStatus } from '../reports/status.ts';
import { serverBlockId, serverIdsInBlocks } from './action-ids.ts';
import type { Block, SlackMessage } from './views/blocks.ts';
import { problemLine, recount, replaceHeadline } from './views/nightly.ts';
import { serverSection } from './views/server-block.ts';

/** Remembers a posted message so it can be updated for one server later. */
export async function recordPosted(db: Db, channel: string, ts: string, m: SlackMessage, threadTs?: string): Promise<void> {
  await db
    .insert(postedMessages)
    .values({ channel, ts, blocks: m.blocks, text: m.text, serverIds: serverIdsInBlocks(m.blocks), threadTs: threadTs ?? null, meta: m.meta ?? null })
    .onConflictDoNothing();
}

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

/** Replaces one server's block with a freshly rendered one; null when the message does not show it. */
export function replaceServerBlock(blocks: Block[], serverId: number, block: Block): Block[] | null {
  let changed = false;
  const next = blocks.map((b) => {
    if (b.block_id !== serverBlockId(serverId)) return b;
    changed = true;
    return block;
  });
  return changed ? next : null;
}

/**
 * Re-renders one server everywhere it was shown in the last days (chat.update): its line, icon
 * and actions from its current state, with an optional note of what changed, and the headline
 * counts of the summary it belongs to. Called after an acknowledgement, a reparse or an
 * approved exception, so a message never contradicts itself.
 */
export async function refreshServerEverywhere(db: Db, client: WebClient, serverId: number, note?: string, now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - UPDATE_WINDOW_MS);
  const rows = await db
    .select({ channel: postedMessages.channel, ts: postedMessages.ts })
    .from(postedMessages)
    .where(and(gte(postedMessages.postedAt, since), sql`${postedMessages.serverIds} @> ${JSON.stringify([serverId])}::jsonb`));
  if (rows.length === 0) return 0;
  const fleet = await fleetStatus(db, { serverIds: [serverId], includeRemoved: true, now });
  if (fleet.length === 0) return 0;
  const [row] = await serverRows(db, fleet, now);
  const text = problemLine(row!, now) + (note ? `\n:bookmark: ${note}` : '');
  const block = serverSection(row!, text);
  let updated = 0;
  for (const { channel, ts } of rows) {
    // One update of a message at a time, so two people acting on servers of the same message
    // cannot undo each other's change. (Not a database lock: that would hold the embedded
    // database while Slack answers, or waits out a rate limit.)
    const root = await serially(`${channel}:${ts}`, async () => {
      const [m] = await db.select().from(postedMessages).where(and(eq(postedMessages.channel, channel), eq(postedMessages.ts, ts)));
      if (!m) return null;
      let blocks = replaceServerBlock(m.blocks as Block[], serverId, block);
      let meta = m.meta;
      if (meta) {
        meta = recount(meta, serverId, row!);
        blocks = replaceHeadline(blocks ?? (m.blocks as Block[]), meta) ?? blocks;
      }
      if (!blocks) return null;
      await client.chat.update({ channel, ts, text: m.text, blocks });
      await db.update(postedMessages).set({ blocks, meta }).where(and(eq(postedMessages.channel, channel), eq(postedMessages.ts, ts)));
      updated++;
      return m.meta ? null : m.threadTs;
    });
    // A part posted in a summary's thread: its headline lives in the thread's first message.
    if (root) await refreshHeadline(db, client, channel, root, serverId, row!);
  }
  return updated;
}

async function refreshHeadline(db: Db, client: WebClient, channel: string, ts: string, serverId: number, row: ServerRow): Promise<void> {
  await serially(`${channel}:${ts}`, async () => {
    const [m] = await db.select().from(postedMessages).where(and(eq(postedMessages.channel, channel), eq(postedMessages.ts, ts)));
    if (!m?.meta) return;
    const meta = recount(m.meta, serverId, row);
    if (meta === m.meta) return;
    const blocks = replaceHeadline(m.blocks as Block[], meta);
    if (!blocks) return;
    await client.chat.update({ channel, ts, text: m.text, blocks });
    await db.update(postedMessages).set({ blocks, meta }).where(and(eq(postedMessages.channel, channel), eq(postedMessages.ts, ts)));
  });
}
