// A SMART standalone launch with PKCE driven by oauth4webapi over real HTTP, choosing a persona on the picker like a person would.
import * as oauth from 'oauth4webapi';

export interface LaunchResult {
  tokens: oauth.TokenEndpointResponse & { patient?: string };
  authorizationServer: oauth.AuthorizationServer;
  client: oauth.Client;
}

/** Cookie jar for one browser-like session (the authorization server keeps its interaction in cookies). */
class Cookies {
  private jar = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  }
  header(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Reads smart-configuration, sends the authorization request with S256 PKCE, picks `persona`, follows the
 * redirects back to the app's redirect URI and redeems the code.
 */
export async function standaloneLaunch(origin: string, persona: string, scope: string, clientId = 'kanta-web-app'): Promise<LaunchResult> {
  const conf = (await (await fetch(`${origin}/fhir/.well-known/smart-configuration`)).json()) as Record<string, string>;
  const as: oauth.AuthorizationServer = {
    issuer: conf.issuer,
    authorization_endpoint: conf.authorization_endpoint,
    token_endpoint: conf.token_endpoint,
  };
  const client: oauth.Client = { client_id: clientId, id_token_signed_response_alg: 'ES256' };
  const redirectUri = `${origin}/app/`;
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    aud: `${origin}/fhir`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(k, v);

  const cookies = new Cookies();
  let res = await fetch(url, { redirect: 'manual' });
  cookies.take(res);
  let location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`authorization request answered ${res.status}: ${await res.text()}`);
  const pickerUrl = new URL(location, origin);
  res = await fetch(pickerUrl, { headers: { cookie: cookies.header() } });
  const page = await res.text();
  if (!page.includes(`value="${persona}"`)) throw new Error(`persona ${persona} not offered on the picker`);
  res = await fetch(pickerUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ persona }),
  });
  cookies.take(res);
  // Resume the authorization, until the server sends the browser back to the app.
  for (let hops = 0; hops < 5; hops++) {
    location = res.headers.get('location');
    if (!location) throw new Error(`expected a redirect, got ${res.status}: ${await res.text()}`);
    if (location.startsWith(redirectUri)) break;
    res = await fetch(new URL(location, origin), { redirect: 'manual', headers: { cookie: cookies.header() } });
    cookies.take(res);
  }
  const callback = new URL(location!);
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, {
    [oauth.allowInsecureRequests]: true,
  });
  const tokens = (await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { requireIdToken: false })) as LaunchResult['tokens'];
  return { tokens, authorizationServer: as, client };
}
