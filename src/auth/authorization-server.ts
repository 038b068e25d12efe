// Development/demo OAuth 2.0 authorization server (node-oidc-provider) for SMART App Launch: code + PKCE, v2 scopes, launch/patient. https://hl7.org/fhir/smart-app-launch/app-launch.html
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { decodeJwt, type JWK } from 'jose';
import { PersonRoles, type KantaClaims } from './claims.js';
import { createMemoryAdapterFactory } from './memory-adapter.js';
import { DEFAULT_SCOPES_SUPPORTED } from './smart-configuration.js';
import { DemoClient, devPersonas, type DevPersona } from './dev-personas.js';

/** Paths under the issuer's mount point (/auth/dev); the token path is shared with the JSON minting endpoint. */
export const AuthorizationServerPaths = {
  Authorization: '/authorize',
  Token: '/token',
  Jwks: '/jwks',
  Registration: '/register',
  Interaction: '/interaction',
} as const;

/** The demo web app served at /app: a public client, so PKCE is required (SMART client-public). */
export const WebAppClientId = 'kanta-web-app';

/** Scopes that are not resource scopes: OpenID, SMART launch context and refresh. */
export const LaunchScopes = ['openid', 'fhirUser', 'launch', 'launch/patient', 'offline_access', 'online_access'] as const;

/** Resource scopes the server grants; requested scopes outside this list are dropped (RFC 6749 §3.3). */
export const GrantableResourceScopes = [
  ...DEFAULT_SCOPES_SUPPORTED,
  'patient/*.rs',
  'patient/*.crus',
  'user/*.rs',
  'user/*.crus',
  'patient/Consent.cruds',
  'patient/AuditEvent.rs',
] as const;

/** The resource indicator every token is issued for; its audience is the gateway's configured one. */
const FHIR_RESOURCE = 'urn:kanta-gateway:fhir';
const PERSON_SECONDS = 30 * 60;
const OTHER_SECONDS = 60 * 60;

export interface AuthorizationServerOptions {
  /** The dev issuer's `iss`, so the same authenticator accepts both. */
  issuer: string;
  /** `aud` of issued access tokens. */
  audience: string;
  /** The dev issuer's private signing key (ES256, with kid), so its JWKS verifies these tokens too. */
  signingKey: JWK;
  /** Redirect URIs of the web app besides loopback ones (e.g. under PUBLIC_BASE_URL). */
  webAppRedirectUris: string[];
  /** Path (from the host root) where the persona picker is served; the uid is appended. */
  interactionPath: string;
}

/**
 * The persona picker is both login and consent: choosing a persona grants exactly the scopes the app asked for
 * (launch and OpenID scopes as OIDC scopes, the rest for the FHIR resource). Returns the grant id.
 */
export async function grantRequestedScopes(provider: Provider, accountId: string, clientId: string, requestedScope: string): Promise<string> {
  const requested = requestedScope.split(' ').filter(Boolean);
  const isLaunch = (s: string) => (LaunchScopes as readonly string[]).includes(s);
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(requested.filter(isLaunch).join(' '));
  grant.addResourceScope(FHIR_RESOURCE, requested.filter((s) => !isLaunch(s)).join(' '));
  return grant.save();
}

export function personaById(id: string | undefined): DevPersona | undefined {
  return devPersonas.find((p) => p.id === id);
}

const isPerson = (p: DevPersona | undefined): boolean => !!p && PersonRoles.includes(p.claims.kanta_role);

/** The persona's claims a SMART access token carries; scope and client come from the grant, not the persona. */
function tokenClaims(persona: DevPersona): Omit<KantaClaims, 'scope' | 'client_id'> {
  const { scope: _scope, client_id: _client, ...rest } = persona.claims;
  return rest;
}

export function createAuthorizationServer(opts: AuthorizationServerOptions): Provider {
  const configuration: Configuration = {
    adapter: createMemoryAdapterFactory(),
    clients: [
      {
        client_id: WebAppClientId,
        client_name: 'Kanta web app',
        token_endpoint_auth_method: 'none',
        // RFC 8252 §7.3: 'native' lets a loopback redirect use any port, which the demo and tests need.
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/app/', 'http://localhost/app/', ...opts.webAppRedirectUris],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: DemoClient.WellnessApp,
        client_name: 'Demo wellness app',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...opts.signingKey, use: 'sig' } as never] },
    cookies: { keys: [crypto.randomUUID(), crypto.randomUUID()] },
    scopes: [...LaunchScopes],
    claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
    pkce: { required: () => true },
    routes: {
      authorization: AuthorizationServerPaths.Authorization,
      token: AuthorizationServerPaths.Token,
      jwks: AuthorizationServerPaths.Jwks,
      registration: AuthorizationServerPaths.Registration,
    },
    features: {
      devInteractions: { enabled: false },
      // Integrators register their own SMART apps against the demo (RFC 7591); public clients only need PKCE.
      registration: { enabled: true },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => FHIR_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: GrantableResourceScopes.join(' '),
          audience: opts.audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: OTHER_SECONDS,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    ttl: {
      // S1: persons' sessions time out after 30 minutes, so neither their access nor refresh tokens outlive that.
      AccessToken: (_ctx, token) => (isPerson(personaById(token.accountId)) ? PERSON_SECONDS : OTHER_SECONDS),
      RefreshToken: (_ctx, token) => (isPerson(personaById(token.accountId)) ? PERSON_SECONDS : 8 * 60 * 60),
      AuthorizationCode: 60,
      Interaction: 10 * 60,
      Session: PERSON_SECONDS,
      Grant: PERSON_SECONDS,
      IdToken: PERSON_SECONDS,
    },
    // SMART: refresh tokens come with offline_access or online_access (the latter ends with the session).
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || code.scopes.has('online_access')),
    async findAccount(_ctx, id) {
      const persona = personaById(id);
      if (!persona) return undefined;
      return {
        accountId: id,
        async claims() {
          const c = persona.claims;
          return { sub: id, ...(c.kanta_role === 'citizen' && c.patient ? { fhirUser: `Patient/${c.patient}` } : {}) };
        },
      };
    },
    interactions: { url: (_ctx, interaction) => `${opts.interactionPath}/${interaction.uid}` },
    formats: {
      customizers: {
        // The gateway's claim set (claims.ts): the persona's HETU as sub, role, context; the same authenticator reads it.
        jwt(_ctx, token, jwt) {
          const persona = 'accountId' in token ? personaById(token.accountId) : undefined;
          if (persona) Object.assign(jwt.payload, tokenClaims(persona), { client_id: token.clientId, scope: token.scope });
          return jwt;
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
    clientBasedCORS: () => true,
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
  };

  const provider = new Provider(opts.issuer, configuration);
  // SMART launch context: the token response names the patient when launch/patient was granted.
  provider.use(async (ctx: KoaContextWithOIDC, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body.access_token !== 'string') return;
    // SMART's token response `scope` is everything granted; with resource indicators the provider lists only the FHIR
    // resource scopes, and SMART clients (fhirclient) refresh only when it names online_access or offline_access.
    const launchScope = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken)?.scope ?? '';
    body.scope = [...new Set([...launchScope.split(' '), ...String(body.scope ?? '').split(' ')].filter(Boolean))].join(' ');
    const granted = (ctx.oidc.entities.Grant?.getOIDCScope() ?? '').split(' ');
    if (!granted.includes('launch/patient') && !granted.includes('launch')) return;
    const patient = decodeJwt(body.access_token).patient;
    if (typeof patient === 'string') body.patient = patient;
  });
  return provider;
}
