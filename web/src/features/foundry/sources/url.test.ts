import { describe, expect, it } from 'vitest';
import { composeDatabaseUrl, isSqlite } from './url';

describe('composeDatabaseUrl', () => {
  it('puts the password into the URL, encoded', () => {
    expect(composeDatabaseUrl(' postgresql://reader@db.example.com:5432/shop?sslmode=require ', 'p@ss:w/rd')).toEqual({
      ok: true,
      url: 'postgresql://reader:p%40ss%3Aw%2Frd@db.example.com:5432/shop?sslmode=require',
    });
    expect(composeDatabaseUrl('mysql+pymysql://root@localhost/db', 'x')).toEqual({ ok: true, url: 'mysql+pymysql://root:x@localhost/db' });
  });

  it('keeps the URL as typed without a password', () => {
    expect(composeDatabaseUrl('postgresql://reader:secret@db/shop', '')).toEqual({ ok: true, url: 'postgresql://reader:secret@db/shop' });
    expect(composeDatabaseUrl('sqlite:///data/shop.db', '')).toEqual({ ok: true, url: 'sqlite:///data/shop.db' });
  });

  it('explains what is wrong', () => {
    expect(composeDatabaseUrl('http://db/shop', '')).toMatchObject({ ok: false, error: expect.stringContaining('postgresql://') });
    expect(composeDatabaseUrl('sqlite:///data/shop.db', 'x')).toMatchObject({ ok: false, error: expect.stringContaining('no password') });
    expect(composeDatabaseUrl('postgresql://db.example.com/shop', 'x')).toMatchObject({ ok: false, error: expect.stringContaining('user name') });
    expect(isSqlite('SQLite:///x.db')).toBe(true);
  });
});
