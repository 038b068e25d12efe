// SMART App Launch (standalone, public client, PKCE S256) in the browser with the SMART fhirclient library, and the FHIR calls made through its client. https://hl7.org/fhir/smart-app-launch/app-launch.html
import FHIR from 'fhirclient/lib/entry/browser';
import type Client from 'fhirclient/lib/Client';
import { lang } from './i18n.js';

export const ClientId = 'kanta-web-app';
/** Patient context, identity, a refresh token that ends with the session, and what a citizen, guardian, proxy or professional reads and writes. */
const Scope = 'openid fhirUser launch/patient online_access patient/*.cruds user/*.rs';
const FhirBase = `${location.origin}/fhir`;
const RedirectUri = `${location.origin}/app/`;

export interface Session {
  patient?: string;
  /** The access token's claims (kanta_role, name, organization...): what the page shows and which pages the role has. */
  claims: Record<string, unknown>;
}

// A public client has no secret: the token endpoint knows it on a refresh only by the client_id in the body (RFC 6749 section 6).
FHIR.oauth2.settings.refreshTokenWithClientId = true;

/** This tab's launched client; fhirclient keeps the launch state in sessionStorage, so a reload resumes it through ready(). */
let client: Client | undefined;

export async function login(): Promise<void> {
  // fhirclient reads the endpoints and code_challenge_methods_supported from /.well-known/smart-configuration and keeps the
  // verifier with the state; 'required' refuses to launch against a server that does not announce S256.
  const url = await FHIR.oauth2.authorize({ iss: FhirBase, clientId: ClientId, scope: Scope, redirectUri: RedirectUri, pkceMode: 'required', noRedirect: true });
  // noRedirect only so the persona picker can be asked for the app's language (OpenID Connect ui_locales), which fhirclient has no option for.
  const target = new URL(String(url));
  target.searchParams.set('ui_locales', lang());
  location.assign(target.href);
}

/** Finishes the launch when the authorization server has sent the browser back (code exchange with the verifier), or resumes this tab's session. */
export async function completeLaunch(): Promise<Session | undefined> {
  const back = new URL(location.href).searchParams;
  const fromServer = back.has('code') || back.has('error');
  try {
    client = await FHIR.oauth2.ready();
  } catch (err) {
    if (!fromServer) return undefined; // nothing launched in this tab yet
    history.replaceState(null, '', RedirectUri);
    throw err;
  }
  return currentSession();
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

export function currentSession(): Session | undefined {
  const tokens = client?.state.tokenResponse;
  if (!client || !tokens?.access_token) return undefined;
  // fhirclient refreshes an expired token before the next request when it holds a refresh token.
  if ((client.state.expiresAt ?? 0) * 1000 <= Date.now() && !tokens.refresh_token) return undefined;
  return { patient: typeof tokens.patient === 'string' ? tokens.patient : undefined, claims: decode(tokens.access_token) };
}

export function logout(): void {
  client = undefined;
  // The launch state is all this app keeps in sessionStorage (the language lives in localStorage).
  sessionStorage.clear();
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

/** fhirclient's HttpError has read the body already and appended it (pretty-printed JSON) to its message; the OperationOutcome is taken from there. */
function refusal(err: unknown): FhirError {
  const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 0;
  const message = err instanceof Error ? err.message : String(err);
  const start = message.indexOf('\n\n{');
  const end = message.lastIndexOf('}');
  let text = '';
  if (start >= 0 && end > start) {
    try {
      const body = JSON.parse(message.slice(start + 2, end + 1)) as { issue?: Array<{ details?: { text?: string }; diagnostics?: string }> };
      text = (body.issue ?? []).map((i) => i.details?.text ?? i.diagnostics).filter(Boolean).join(' ');
    } catch {
      // not an OperationOutcome: the status says it
    }
  }
  return new FhirError(status, text || (status ? `HTTP ${status}` : message));
}

function clientFor(token?: string): Client {
  // The explorer's "what if" calls carry another persona's token: a client made from that token alone.
  if (token) return FHIR.client({ serverUrl: FhirBase, tokenResponse: { access_token: token } });
  if (!client || !currentSession()) {
    logout();
    throw new FhirError(401, 'Session ended');
  }
  return client;
}

function requestOf(path: string, init: { method?: string; body?: unknown }) {
  return {
    url: path,
    method: init.method ?? 'GET',
    headers: { accept: 'application/fhir+json', 'accept-language': lang(), ...(init.body ? { 'content-type': 'application/fhir+json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  };
}

async function guarded<T>(call: () => Promise<T>, own: boolean): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = refusal(err);
    if (own && (e.status === 401 || !currentSession())) logout(); // fhirclient could not refresh: the session is over
    throw e;
  }
}

export async function fhir<T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const c = clientFor(init.token);
  return guarded(async () => ((await c.request<T>(requestOf(path, init))) || {}) as T, !init.token);
}

type Page<T> = { entry?: Array<{ resource: T; search?: { mode?: string } }> };

/** Every resource of a search, fhirclient following the `next` links (demo volumes are small: at most 20 pages). */
export async function searchAll<T>(query: string, token?: string): Promise<T[]> {
  const c = clientFor(token);
  const out: T[] = [];
  await guarded(() =>
    c.request(requestOf(query, {}), {
      pageLimit: 20,
      onPage: (bundle) => {
        const entries = (bundle as Page<T>).entry ?? [];
        out.push(...entries.filter((e) => e.search?.mode !== 'outcome' && e.search?.mode !== 'include').map((e) => e.resource));
      },
    }),
    !token,
  );
  return out;
}
