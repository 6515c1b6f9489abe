import { createHmac } from 'node:crypto';

/**
 * Headers Slack sends with a signed request (docs.slack.dev "Verifying requests from Slack"):
 * `x-slack-signature` is `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed with the
 * app's signing secret; `x-slack-request-timestamp` is Unix seconds (Bolt refuses requests more
 * than 5 minutes off). The content-type is form-encoded for slash commands and interactions
 * (what this helper is mostly for) and JSON for an Events API body (one starting with `{`).
 *
 * Sign the exact string you send: Bolt verifies the raw bytes, so re-serialising breaks it.
 */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const isJson = body.trimStart().startsWith('{');
  return {
    'content-type': isJson ? 'application/json' : 'application/x-www-form-urlencoded',
    'x-slack-signature': signature,
    'x-slack-request-timestamp': String(timestamp),
  };
}

/** The fields Slack posts for a slash command; `fields` override them (e.g. `text`, `response_url`). */
export const SLASH_COMMAND_DEFAULTS: Readonly<Record<string, string>> = {
  token: 'deprecated-verification-token',
  team_id: 'T_TEST',
  team_domain: 'backupbot-test',
  channel_id: 'C_SUMMARY',
  channel_name: 'summary',
  user_id: 'U_ALICE',
  user_name: 'alice',
  command: '/backup',
  text: '',
  api_app_id: 'A_BACKUPBOT',
  is_enterprise_install: 'false',
  response_url: 'https://hooks.slack.com/commands/T_TEST/1700000000000/response-url-secret',
  trigger_id: '1700000000000.1700000000.0123456789abcdef0123456789abcdef',
};

/** A urlencoded slash command body, as Slack sends it (space as `+`, like Slack's own encoder). */
export function slashCommandBody(fields: Record<string, string>): string {
  return new URLSearchParams({ ...SLASH_COMMAND_DEFAULTS, ...fields }).toString();
}

/** A urlencoded interaction body (`block_actions`, `view_submission`, shortcuts): `payload=<JSON>`. */
export function interactionBody(payload: object): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** The Events API callback Slack sends when someone opens the app's Home tab. */
export function appHomeOpenedBody(user: string, eventId: string): string {
  return JSON.stringify({
    token: 'x',
    team_id: 'T_TEST',
    api_app_id: 'A_BACKUPBOT',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: '1.2' },
  });
}
