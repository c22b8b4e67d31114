import t from 'tap';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database';

const othersCanTouch = (file: string): number => statSync(file).mode & 0o077;

t.test('the embedded database, which holds password hashes, is readable by its owner only', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mode-')), 'data');
  const file = join(dir, 'chat.db');
  const db = await openDatabase(`sqlite:${file}`);
  t.teardown(() => db.close());
  await sql`select 1`.execute(db.kysely);
  t.equal(statSync(dir).mode & 0o077, 0, 'a new data directory is 0700');
  for (const f of [file, `${file}-wal`, `${file}-shm`]) t.equal(othersCanTouch(f), 0, `${f.slice(dir.length + 1)} is 0600`);
});

t.test('an existing database file that others could read is narrowed to 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mode-'));
  const file = join(dir, 'chat.db');
  writeFileSync(file, '');
  chmodSync(file, 0o644);
  const db = await openDatabase(`sqlite:${file}`);
  t.teardown(() => db.close());
  t.equal(othersCanTouch(file), 0);
});
