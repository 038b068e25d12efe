// SMART App Launch (standalone, public client, PKCE S256) in the browser with oauth4webapi, and the FHIR calls that use its token. https://hl7.org/fhir/smart-app-launch/app-launch.html
import * as oauth from 'oauth4webapi';
import { lang } from './i18n.js';

export const ClientId = 'kanta-web-app';
/** Patient context, identity, a refresh token that ends with the session, and what a citizen, guardian, proxy or professional reads and writes. */
const Scope = 'openid fhirUser launch/patient online_access patient/*.cruds user/*.rs';
const FhirBase = `${location.origin}/fhir`;
const RedirectUri = `${location.origin}/app/`;
const client: oauth.Client = { client_id: ClientId, id_token_signed_response_alg: 'ES256' };
const insecure = location.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};

export interface Session {
  accessToken: string;
  refreshToken?: string;
  patient?: string;
  expiresAt: number;
  claims: Record<string, unknown>;
}

async function authorizationServer(): Promise<oauth.AuthorizationServer> {
  const res = await fetch(`${FhirBase}/.well-known/smart-configuration`, { headers: { accept: 'application/json' } });
  const conf = (await res.json()) as Record<string, string>;
  if (!conf.authorization_endpoint || !conf.token_endpoint) throw new Error('This gateway announces no authorization endpoint');
  return { issuer: conf.issuer, authorization_endpoint: conf.authorization_endpoint, token_endpoint: conf.token_endpoint };
}

export async function login(): Promise<void> {
  const as = await authorizationServer();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem('pkce', JSON.stringify({ verifier, state }));
  const url = new URL(as.authorization_endpoint!);
  const params = {
    response_type: 'code',
    client_id: ClientId,
    redirect_uri: RedirectUri,
    scope: Scope,
    state,
    aud: FhirBase,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ui_locales: lang(),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.href);
}

function decode(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const json = decodeURIComponent(
    atob(part.replace(/-/g, '+').replace(/_/g, '/'))
      .split('')
      .map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
      .join(''),
  );
  return JSON.parse(json) as Record<string, unknown>;
}

function store(tokens: oauth.TokenEndpointResponse): Session {
  const s: Session = {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    patient: typeof tokens.patient === 'string' ? tokens.patient : undefined,
    expiresAt: Date.now() + (tokens.expires_in ?? 0) * 1000,
    claims: decode(tokens.access_token),
  };
  sessionStorage.setItem('session', JSON.stringify(s));
  return s;
}

/** Finishes the launch when the authorization server has sent the browser back with a code. */
export async function completeLaunch(): Promise<Session | undefined> {
  const here = new URL(location.href);
  if (!here.searchParams.has('code') && !here.searchParams.has('error')) return undefined;
  const saved = JSON.parse(sessionStorage.getItem('pkce') ?? '{}') as { verifier?: string; state?: string };
  sessionStorage.removeItem('pkce');
  history.replaceState(null, '', RedirectUri);
  if (!saved.verifier) throw new Error('No authorization request is pending');
  const as = await authorizationServer();
  const params = oauth.validateAuthResponse(as, client, here, saved.state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, RedirectUri, saved.verifier, insecure);
  return store(await oauth.processAuthorizationCodeResponse(as, client, res, { requireIdToken: false }));
}

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem('session');
  if (!raw) return undefined;
  const s = JSON.parse(raw) as Session;
  return s.expiresAt > Date.now() || s.refreshToken ? s : undefined;
}

async function refreshed(s: Session): Promise<Session | undefined> {
  if (s.expiresAt > Date.now() + 10_000) return s;
  if (!s.refreshToken) return undefined;
  const as = await authorizationServer();
  const res = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), s.refreshToken, insecure);
  try {
    const next = store(await oauth.processRefreshTokenResponse(as, client, res));
    return { ...next, patient: next.patient ?? s.patient };
  } catch {
    return undefined;
  }
}

export function logout(): void {
  sessionStorage.removeItem('session');
}

/** The gateway's refusal in the user's language (OperationOutcome text), or the HTTP status. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function fhir<T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  let token = init.token;
  if (!token) {
    const s = currentSession();
    const fresh = s && (await refreshed(s));
    if (!fresh) {
      logout();
      throw new FhirError(401, 'Session ended');
    }
    token = fresh.accessToken;
  }
  const res = await fetch(path.startsWith('http') ? path : `${FhirBase}/${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/fhir+json',
      'accept-language': lang(),
      ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) {
    const issues = (body.issue as Array<{ details?: { text?: string }; diagnostics?: string }> | undefined) ?? [];
    throw new FhirError(res.status, issues.map((i) => i.details?.text ?? i.diagnostics).filter(Boolean).join(' ') || `HTTP ${res.status}`);
  }
  return body as T;
}

/** Every resource of a search, following `next` links (demo volumes are small). */
export async function searchAll<T>(query: string, token?: string): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = query;
  for (let page = 0; next && page < 20; page++) {
    const bundle: { entry?: Array<{ resource: T; search?: { mode?: string } }>; link?: Array<{ relation: string; url: string }> } = await fhir(next, { token });
    out.push(...(bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome' && e.search?.mode !== 'include').map((e) => e.resource));
    next = bundle.link?.find((l) => l.relation === 'next')?.url;
  }
  return out;
}
