// The /.well-known/smart-configuration document, built only from what is really configured (F4). https://hl7.org/fhir/smart-app-launch/conformance.html
/** SMART capability codes this module may claim. See: https://hl7.org/fhir/smart-app-launch/conformance.html#capabilities */
export const SmartCapability = {
  PermissionV1: 'permission-v1',
  PermissionV2: 'permission-v2',
  PermissionPatient: 'permission-patient',
  PermissionUser: 'permission-user',
  ClientConfidentialAsymmetric: 'client-confidential-asymmetric',
  ClientConfidentialSymmetric: 'client-confidential-symmetric',
  LaunchStandalone: 'launch-standalone',
  ClientPublic: 'client-public',
  ContextStandalonePatient: 'context-standalone-patient',
} as const;

/** Where the development issuer answers; the lead mounts it only when the issuer is enabled. */
export const DEV_TOKEN_PATH = '/auth/dev/token';
/** Where the gateway serves the development issuer's public keys. */
export const DEV_JWKS_PATH = '/auth/dev/jwks.json';

export const DEFAULT_SCOPES_SUPPORTED = [
  'patient/*.cruds',
  'user/*.cruds',
  'system/*.cruds',
  'patient/*.read',
  'patient/*.write',
  'user/*.read',
  'user/*.write',
  'system/*.read',
  'system/*.write',
  // Wellness apps of the personal data store (P1): the citizen's own Observations, within the app's registered kinds.
  'patient/Observation.cruds',
  'patient/Observation.crs',
  'patient/Observation.rs',
  'patient/Observation.read',
  'patient/Observation.write',
] as const;

export interface SmartConfigurationInput {
  /** Token issuer; the dev issuer's URL when it is enabled. */
  issuer?: string;
  /** Public key set of the issuer, when one is published. */
  jwksUri?: string;
  /** Set only when a token endpoint exists (the development issuer, or an external server). */
  tokenEndpoint?: string;
  /** Set only when an authorization endpoint exists; then PKCE S256 is announced too. */
  authorizationEndpoint?: string;
  /** OAuth grants the token endpoint really implements. */
  grantTypesSupported?: string[];
  tokenEndpointAuthMethodsSupported?: string[];
  scopesSupported?: readonly string[];
  /** Dynamic client registration (RFC 7591), when the server offers it. */
  registrationEndpoint?: string;
  /** Public clients (PKCE, no secret) can complete the authorization code flow. */
  clientPublic?: boolean;
  /** A standalone launch can ask for launch/patient and gets `patient` in the token response. */
  contextStandalonePatient?: boolean;
  /** True only when the token endpoint authenticates clients by private_key_jwt. */
  clientConfidentialAsymmetric?: boolean;
}

/**
 * Builds the document. Fields whose backing feature is absent are left out rather than filled with a guess,
 * because conformance testers follow every URL and try every capability announced here.
 */
export function buildSmartConfiguration(cfg: SmartConfigurationInput): Record<string, unknown> {
  const capabilities: string[] = [SmartCapability.PermissionV1, SmartCapability.PermissionV2, SmartCapability.PermissionPatient, SmartCapability.PermissionUser];
  if (cfg.clientConfidentialAsymmetric) capabilities.push(SmartCapability.ClientConfidentialAsymmetric);
  if (cfg.authorizationEndpoint) capabilities.push(SmartCapability.LaunchStandalone);
  if (cfg.authorizationEndpoint && cfg.clientPublic) capabilities.push(SmartCapability.ClientPublic);
  if (cfg.authorizationEndpoint && cfg.contextStandalonePatient) capabilities.push(SmartCapability.ContextStandalonePatient);

  const doc: Record<string, unknown> = {};
  if (cfg.issuer) doc.issuer = cfg.issuer;
  if (cfg.jwksUri) doc.jwks_uri = cfg.jwksUri;
  if (cfg.authorizationEndpoint) doc.authorization_endpoint = cfg.authorizationEndpoint;
  if (cfg.tokenEndpoint) doc.token_endpoint = cfg.tokenEndpoint;
  if (cfg.registrationEndpoint) doc.registration_endpoint = cfg.registrationEndpoint;
  doc.grant_types_supported = cfg.tokenEndpoint || cfg.authorizationEndpoint ? [...(cfg.grantTypesSupported ?? [])] : [];
  if (cfg.tokenEndpoint && cfg.tokenEndpointAuthMethodsSupported) doc.token_endpoint_auth_methods_supported = [...cfg.tokenEndpointAuthMethodsSupported];
  if (cfg.clientConfidentialAsymmetric) {
    const methods = new Set((doc.token_endpoint_auth_methods_supported as string[] | undefined) ?? []);
    methods.add('private_key_jwt');
    doc.token_endpoint_auth_methods_supported = [...methods];
    doc.token_endpoint_auth_signing_alg_values_supported = ['RS384', 'ES384'];
  }
  doc.scopes_supported = [...(cfg.scopesSupported ?? DEFAULT_SCOPES_SUPPORTED)];
  doc.response_types_supported = cfg.authorizationEndpoint ? ['code'] : [];
  if (cfg.authorizationEndpoint) doc.code_challenge_methods_supported = ['S256'];
  doc.capabilities = capabilities;
  return doc;
}
