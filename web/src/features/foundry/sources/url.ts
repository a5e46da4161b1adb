/** The external database URL the form sends: the URL as typed, with the password field put into it. */

export const DATABASE_SCHEMES = ['postgresql', 'postgres', 'mysql', 'mariadb', 'sqlite'] as const;

export type UrlCheck = { ok: true; url: string } | { ok: false; error: string };

function schemeOf(raw: string): string {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(raw);
  // "postgresql+psycopg://" names a driver too: the database is what comes before the "+".
  return match ? match[1]!.toLowerCase().split('+')[0]! : '';
}

/** True for SQLite URLs, which have no server and so no password. */
export function isSqlite(raw: string): boolean {
  return schemeOf(raw.trim()) === 'sqlite';
}

/**
 * Check the URL's shape and insert `password` (URL-encoded, so "@" or ":" in it cannot break the
 * URL). An empty password leaves the URL as typed, with any password it already holds.
 */
export function composeDatabaseUrl(raw: string, password: string): UrlCheck {
  const typed = raw.trim();
  const scheme = schemeOf(typed);
  if (!(DATABASE_SCHEMES as readonly string[]).includes(scheme)) {
    return { ok: false, error: 'Start the URL with postgresql://, mysql:// or sqlite:///.' };
  }
  if (!password) return { ok: true, url: typed };
  if (scheme === 'sqlite') return { ok: false, error: 'A SQLite file has no password: leave the password empty.' };
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    return { ok: false, error: 'This is not a valid URL.' };
  }
  if (!url.hostname) return { ok: false, error: 'Add the server, e.g. postgresql://user@db.example.com:5432/shop.' };
  if (!url.username) return { ok: false, error: 'Add the user name before the server, e.g. postgresql://reader@db.example.com/shop.' };
  url.password = password;
  return { ok: true, url: url.toString() };
}
