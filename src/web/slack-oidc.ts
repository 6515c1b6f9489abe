/**
 * Sign in with Slack (OpenID Connect, authorization code flow). backupbot is a confidential
 * client: the code is exchanged for an ID token directly with Slack's token endpoint over
 * TLS with the client secret, which is what vouches for the token (OpenID Connect Core
 * 3.1.3.7), so its claims are checked (issuer, audience, nonce, expiry, workspace) without
 * fetching Slack's signing keys.
 */

export interface OidcSettings {
  clientId: string;
  clientSecret: string;
  /** Slack's Web API base (SLACK_API_URL); the authorize page and the token method derive from it. */
  apiUrl: string;
  /** PUBLIC_URL: the callback Slack redirects back to must be registered in the app's settings. */
  base: string;
}

export const callbackUrl = (s: OidcSettings) => `${s.base}/auth/slack/callback`;

/** Where to send the browser: Slack's consent page for this app. Pure. */
export function authorizeUrl(s: OidcSettings, state: string, nonce: string): string {
  const u = new URL('/openid/connect/authorize', s.apiUrl);
  u.search = new URLSearchParams({ response_type: 'code', scope: 'openid profile', client_id: s.clientId, state, nonce, redirect_uri: callbackUrl(s) }).toString();
  return u.toString();
}

export interface SlackIdentity {
  userId: string;
  teamId: string;
  name: string | null;
}

export class OidcError extends Error {
  override name = 'OidcError';
}

/** Checks an ID token's claims; returns who signed in. Pure (now is passed in). */
export function identityFrom(idToken: string, s: OidcSettings, nonce: string, teamId: string, now: Date): SlackIdentity {
  const payload = idToken.split('.')[1];
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new OidcError('Slack answered with an ID token that is not a JWT.');
  }
  if (claims.iss !== 'https://slack.com') throw new OidcError(`The ID token was issued by ${String(claims.iss)}, not https://slack.com.`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(s.clientId)) throw new OidcError('The ID token is for another Slack app (audience is not SLACK_CLIENT_ID).');
  if (claims.nonce !== nonce) throw new OidcError('The ID token does not answer this sign-in (nonce mismatch); start again.');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now.getTime()) throw new OidcError('The ID token has expired; start again.');
  const team = claims['https://slack.com/team_id'];
  // Without this check anyone with an account in any Slack workspace could read the reports.
  if (team !== teamId) throw new OidcError(`You signed in to another Slack workspace (${String(team)}); use the workspace backupbot is installed in.`);
  if (typeof claims.sub !== 'string' || !claims.sub) throw new OidcError('The ID token names no user.');
  return { userId: claims.sub, teamId: String(team ?? ''), name: typeof claims.name === 'string' ? claims.name : null };
}

/** Exchanges the code for an ID token at Slack's openid.connect.token method. */
export async function exchangeCode(s: OidcSettings, code: string): Promise<string> {
  const res = await fetch(new URL('openid.connect.token', s.apiUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: s.clientId, client_secret: s.clientSecret, code, redirect_uri: callbackUrl(s), grant_type: 'authorization_code' }),
  });
  const body = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string; id_token?: string };
  if (!body.ok || !body.id_token) {
    const fix = body.error === 'invalid_client_id' || body.error === 'bad_client_secret' ? ' Check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.' : body.error === 'bad_redirect_uri' ? ` Add ${callbackUrl(s)} as a redirect URL in the Slack app (OAuth & Permissions).` : '';
    throw new OidcError(`Slack refused the sign-in (${body.error ?? `HTTP ${res.status}`}).${fix}`);
  }
  return body.id_token;
}
