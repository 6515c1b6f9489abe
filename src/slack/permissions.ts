import type { WebClient } from '@slack/web-api';

/**
 * Who may approve, reject and remove exceptions: SLACK_APPROVER_GROUP is a user-group id
 * ("S0123...") whose members are looked up (cached for a minute), or a list of user ids.
 */
export interface ApproverCheck {
  isApprover(userId: string): Promise<boolean>;
  /** Said to someone who is refused. */
  refusal: string;
}

const CACHE_MS = 60_000;

export function approverCheck(setting: string | undefined, client: WebClient | null): ApproverCheck {
  const value = setting?.trim() ?? '';
  if (!value) {
    return { isApprover: async () => false, refusal: 'Nobody can approve exceptions yet: ask your backupbot admin to set SLACK_APPROVER_GROUP.' };
  }
  if (/^S[A-Z0-9]+$/.test(value)) {
    let cache: { at: number; users: Set<string> } | null = null;
    return {
      refusal: `Only members of <!subteam^${value}> can approve, reject or remove exceptions.`,
      async isApprover(userId) {
        if (!client) return false;
        if (!cache || Date.now() - cache.at > CACHE_MS) {
          const res = await client.usergroups.users.list({ usergroup: value });
          cache = { at: Date.now(), users: new Set(res.users ?? []) };
        }
        return cache.users.has(userId);
      },
    };
  }
  const users = new Set(value.split(/[\s,]+/).filter(Boolean));
  return { isApprover: async (userId) => users.has(userId), refusal: 'Only the approvers named in SLACK_APPROVER_GROUP can approve, reject or remove exceptions.' };
}
