// The storage backends a suite runs on: SQLite always, PostgreSQL when DATABASE_URL is set.
export type Backend = 'sqlite' | 'postgres';

export function backends(): Backend[] {
  return process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** DATABASE_URL for a PostgreSQL-only suite, or undefined after printing why the suite is skipped (never a fallback database). */
export function postgresUrlOrSkip(suite: string): string | undefined {
  const url = process.env.DATABASE_URL;
  if (!url) console.info(`[skipped] ${suite}: DATABASE_URL is not set (set it to a PostgreSQL database to run this suite)`);
  return url;
}
