// The wellness app registry: the shipped file loads, and a malformed registry stops the server at start.
import { describe, expect, it } from 'vitest';
import { createAppRegistry, loadAppRegistry } from './app-registry.js';

describe('wellness app registry', () => {
  it('P1: the shipped registry names the demo apps with their measurement kinds', () => {
    const registry = loadAppRegistry();
    expect(registry.get('demo-wellness-app')?.kinds).toHaveLength(8);
    expect(registry.get('demo-step-counter')).toEqual({ clientId: 'demo-step-counter', name: 'Askelmittari (demo)', kinds: ['steps', 'heart-rate', 'sleep-duration'] });
    expect(registry.get('unknown')).toBeUndefined();
  });

  it('refuses unknown kinds, duplicate client ids and apps without a name', () => {
    expect(() => createAppRegistry([{ clientId: 'a', name: 'A', kinds: ['cholesterol' as never] }])).toThrow(/unknown kinds cholesterol/);
    expect(() => createAppRegistry([{ clientId: 'a', name: 'A', kinds: ['steps'] }, { clientId: 'a', name: 'B', kinds: ['steps'] }])).toThrow(/listed twice/);
    expect(() => createAppRegistry([{ clientId: 'a', name: ' ', kinds: ['steps'] }])).toThrow(/needs clientId and name/);
    expect(() => loadAppRegistry('/nonexistent/apps.json')).toThrow(/cannot be read/);
  });
});
