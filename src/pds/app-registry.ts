// The registry of wellness apps allowed into the personal data store: client id, name and measurement kinds of each. https://www.kanta.fi/en/system-developers/kanta-phr
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectRoot } from '../project-root.js';
import { PhrKinds, type PhrKindCode } from './phr-kinds.js';

export interface WellnessApp {
  /** OAuth client id: the token's `client_id`, and the value a citizen's authorisation names. */
  clientId: string;
  /** Shown to the citizen beside every measurement the app wrote. */
  name: string;
  /** Measurement kinds the app may write and read. */
  kinds: PhrKindCode[];
}

export interface AppRegistry {
  get(clientId: string): WellnessApp | undefined;
  all(): readonly WellnessApp[];
}

export const DefaultWellnessAppsFile = join(ProjectRoot, 'src', 'pds', 'wellness-apps.json');

/** Checks the entries once; a bad registry stops the server at start rather than refusing apps at random later. */
export function createAppRegistry(apps: readonly WellnessApp[]): AppRegistry {
  const byId = new Map<string, WellnessApp>();
  for (const app of apps) {
    if (!app.clientId?.trim() || !app.name?.trim()) throw new Error(`Wellness app registry: every app needs clientId and name (${JSON.stringify(app)})`);
    if (byId.has(app.clientId)) throw new Error(`Wellness app registry: client id ${app.clientId} is listed twice`);
    const unknown = (app.kinds ?? []).filter((k) => !(k in PhrKinds));
    if (!app.kinds?.length || unknown.length) throw new Error(`Wellness app registry: ${app.clientId} has no kinds or unknown kinds ${unknown.join(', ')}`);
    byId.set(app.clientId, { clientId: app.clientId, name: app.name, kinds: [...app.kinds] });
  }
  const list = [...byId.values()];
  return { get: (clientId) => byId.get(clientId), all: () => list };
}

/** Reads the registry file ({ apps: WellnessApp[] }); the default is src/pds/wellness-apps.json. */
export function loadAppRegistry(file: string = DefaultWellnessAppsFile): AppRegistry {
  let parsed: { apps?: WellnessApp[] };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { apps?: WellnessApp[] };
  } catch (err) {
    throw new Error(`Wellness app registry ${file} cannot be read: ${(err as Error).message}`);
  }
  return createAppRegistry(parsed.apps ?? []);
}
