// Issue 15/17: request limits and PostgreSQL pool and timeouts come from the environment, with documented defaults, validated at start.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DefaultLimits, DefaultPostgres, loadConfig } from '../../src/config.js';
import { ProjectRoot } from '../../src/storage.js';

describe('limits and database settings', () => {
  test('defaults apply when nothing is set, and each variable overrides its setting', () => {
    const dflt = loadConfig({ DEV_ISSUER: '1' });
    expect(dflt.limits).toEqual(DefaultLimits);
    expect(dflt.postgres).toEqual(DefaultPostgres);
    const set = loadConfig({
      DEV_ISSUER: '1',
      LIMIT_JSON_DEPTH: '32',
      LIMIT_PARAM_REPEAT: '5',
      LIMIT_OR_VALUES: '10',
      LIMIT_CHAIN_DEPTH: '2',
      LIMIT_HAS_DEPTH: '1',
      LIMIT_OFFSET: '500',
      PG_POOL_SIZE: '3',
      PG_STATEMENT_TIMEOUT_MS: '1000',
      PG_CONNECTION_TIMEOUT_MS: '250',
      PG_NAMED_STATEMENTS: '0',
      SQLITE_BUSY_TIMEOUT_MS: '100',
      DB_RETRY_AFTER_SECONDS: '2',
    });
    expect(set.limits).toEqual({ jsonDepth: 32, paramRepeat: 5, orValues: 10, chainDepth: 2, hasDepth: 1, maxOffset: 500 });
    expect(set.postgres).toEqual({ poolSize: 3, statementTimeoutMs: 1000, connectionTimeoutMs: 250, namedStatements: 0 });
    expect(set.sqliteBusyTimeoutMs).toBe(100);
    expect(set.retryAfterSeconds).toBe(2);
  });

  test.each([
    ['PG_POOL_SIZE', 'ten', /postgres\/poolSize/],
    ['PG_POOL_SIZE', '0', /postgres\/poolSize/],
    ['PG_STATEMENT_TIMEOUT_MS', '-5', /postgres\/statementTimeoutMs/],
    ['PG_CONNECTION_TIMEOUT_MS', '1.5', /postgres\/connectionTimeoutMs/],
    ['PG_NAMED_STATEMENTS', '-1', /postgres\/namedStatements/],
    ['LIMIT_JSON_DEPTH', '2', /limits\/jsonDepth/],
    ['LIMIT_OFFSET', 'lots', /limits\/maxOffset/],
  ])('%s=%s stops the start with a message naming the setting', (name, value, message) => {
    // The message names the environment variable, never a path into the parsed configuration.
    expect(() => loadConfig({ DEV_ISSUER: '1', [name]: value })).toThrow(new RegExp(`Invalid configuration: ${name} `));
    expect(() => loadConfig({ DEV_ISSUER: '1', [name]: value })).not.toThrow(message);
  });

  test('the README documents every limit variable with its default', () => {
    const readme = readFileSync(`${ProjectRoot}/README.md`, 'utf8');
    const rows: Array<[string, number]> = [
      ['LIMIT_JSON_DEPTH', DefaultLimits.jsonDepth],
      ['LIMIT_PARAM_REPEAT', DefaultLimits.paramRepeat],
      ['LIMIT_OR_VALUES', DefaultLimits.orValues],
      ['LIMIT_CHAIN_DEPTH', DefaultLimits.chainDepth],
      ['LIMIT_HAS_DEPTH', DefaultLimits.hasDepth],
      ['LIMIT_OFFSET', DefaultLimits.maxOffset],
      ['PG_POOL_SIZE', DefaultPostgres.poolSize],
      ['PG_STATEMENT_TIMEOUT_MS', DefaultPostgres.statementTimeoutMs],
      ['PG_CONNECTION_TIMEOUT_MS', DefaultPostgres.connectionTimeoutMs],
      ['PG_NAMED_STATEMENTS', DefaultPostgres.namedStatements],
    ];
    for (const [name, value] of rows) expect(readme).toMatch(new RegExp(`\\| \`${name}\` \\| \`${value}\` \\|`));
  });
});
