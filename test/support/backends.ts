// The storage backends a suite runs on: SQLite always, PostgreSQL when DATABASE_URL is set.
export type Backend = 'sqlite' | 'postgres';

export function backends(): Backend[] {
  return process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}
