import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { jobRuns } from '../db/schema.ts';

export type JobRun = typeof jobRuns.$inferSelect;
export type Progress = JobRun['progress'];

/**
 * Claims (job, slot) for `owner`. Exactly one caller wins a new slot (the primary key
 * decides); a slot whose owner stopped heart-beating for `leaseMs` can be taken over, and
 * the taker continues from the recorded progress. Returns null when someone else has it
 * or it is finished.
 */
export async function claimRun(db: Db, job: string, slot: Date, owner: string, leaseMs: number): Promise<JobRun | null> {
  const [row] = await db
    .insert(jobRuns)
    .values({ job, scheduledAt: slot, state: 'running', owner })
    .onConflictDoUpdate({
      target: [jobRuns.job, jobRuns.scheduledAt],
      set: { owner, heartbeatAt: sql`now()`, attempts: sql`${jobRuns.attempts} + 1` },
      setWhere: and(eq(jobRuns.state, 'running'), lt(jobRuns.heartbeatAt, sql`now() - make_interval(secs => ${leaseMs / 1000})`)),
    })
    .returning();
  return row ?? null;
}

/** Saves the built messages once, so a resumed run posts exactly what the first attempt built. */
export async function savePayload(db: Db, job: string, slot: Date, owner: string, payload: unknown): Promise<void> {
  await db
    .update(jobRuns)
    .set({ payload, heartbeatAt: sql`now()` })
    .where(and(eq(jobRuns.job, job), eq(jobRuns.scheduledAt, slot), eq(jobRuns.owner, owner)));
}

/** Records progress; returns false when the run was taken over and this owner must stop. */
export async function recordProgress(db: Db, job: string, slot: Date, owner: string, progress: Progress): Promise<boolean> {
  const rows = await db
    .update(jobRuns)
    .set({ progress, heartbeatAt: sql`now()` })
    .where(and(eq(jobRuns.job, job), eq(jobRuns.scheduledAt, slot), eq(jobRuns.owner, owner), eq(jobRuns.state, 'running')))
    .returning({ job: jobRuns.job });
  return rows.length === 1;
}

export async function finishRun(db: Db, job: string, slot: Date, owner: string, error?: string): Promise<void> {
  await db
    .update(jobRuns)
    .set({ state: error ? 'failed' : 'done', error: error ?? null, finishedAt: sql`now()`, heartbeatAt: sql`now()` })
    .where(and(eq(jobRuns.job, job), eq(jobRuns.scheduledAt, slot), eq(jobRuns.owner, owner)));
}

export async function getRun(db: Db, job: string, slot: Date): Promise<JobRun | undefined> {
  const [row] = await db.select().from(jobRuns).where(and(eq(jobRuns.job, job), eq(jobRuns.scheduledAt, slot)));
  return row;
}
