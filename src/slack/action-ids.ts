/**
 * Action and view ids, and the values carried by buttons, in one place. Values hold only
 * database ids and a version tag, so a button keeps working after a restart; one that
 * cannot be decoded, or points at rows that are gone, gets a clear ephemeral answer.
 */

export const ACTION = {
  serverMenu: 'server_menu',
  ack: 'server_ack',
  exception: 'server_exception',
  reparse: 'server_reparse',
  details: 'server_details',
  accept: 'server_accept',
  approve: 'exception_approve',
  reject: 'exception_reject',
  removeException: 'exception_remove',
  downloadLog: 'download_log',
} as const;

export const VIEW = {
  ack: 'ack_modal',
  exception: 'exception_modal',
  details: 'details_modal',
  accept: 'accept_modal',
} as const;

export type ServerAction = 'ack' | 'exception' | 'reparse' | 'details' | 'accept';
const SERVER_ACTIONS: readonly ServerAction[] = ['ack', 'exception', 'reparse', 'details', 'accept'];

export interface ServerRef {
  action: ServerAction;
  serverId: number;
  /** The result the message showed (0 when the server had none). */
  resultId: number;
}

export function encodeServerRef(r: ServerRef): string {
  return `v1:${r.action}:${r.serverId}:${r.resultId}`;
}

export function parseServerRef(value: string | undefined): ServerRef | null {
  const m = /^v1:([a-z]+):(\d{1,10}):(\d{1,15})$/.exec(value ?? '');
  if (!m || !(SERVER_ACTIONS as readonly string[]).includes(m[1]!)) return null;
  return { action: m[1] as ServerAction, serverId: Number(m[2]), resultId: Number(m[3]) };
}

export function encodeExceptionRef(id: number): string {
  return `v1:exception:${id}`;
}

export function parseExceptionRef(value: string | undefined): number | null {
  const m = /^v1:exception:(\d{1,10})$/.exec(value ?? '');
  return m ? Number(m[1]) : null;
}

export function encodeReportRef(id: number): string {
  return `v1:report:${id}`;
}

export function parseReportRef(value: string | undefined): number | null {
  const m = /^v1:report:(\d{1,15})$/.exec(value ?? '');
  return m ? Number(m[1]) : null;
}

/** Where a modal was opened from, so its submission can update that message or answer there. */
export interface Origin {
  channel?: string;
  ts?: string;
  responseUrl?: string;
}

export const STALE_BUTTON =
  'That button is from a message backupbot can no longer act on (it is too old, or the server or result is gone). Run `/backup status SERVER` for a fresh one.';

/** Block ids of per-server blocks, so a message can be updated for one server. */
export const serverBlockId = (serverId: number) => `srv:${serverId}`;

export function serverIdsInBlocks(blocks: ReadonlyArray<{ block_id?: string }>): number[] {
  return blocks.flatMap((b) => {
    const m = /^srv:(\d+)$/.exec(b.block_id ?? '');
    return m ? [Number(m[1])] : [];
  });
}
