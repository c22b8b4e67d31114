import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { openDatabase, type Db } from '../db/database';

/** Each engine an integration test runs on: SQLite always, MariaDB/MySQL when DATABASE_URL names one. */
export interface TestDatabase {
  readonly name: 'sqlite' | 'mysql';
  open(): Promise<Db>;
}

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [
    { name: 'sqlite', open: () => openDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), 'chat-it-')), 'chat.db')}`) },
  ];
  const base = process.env.DATABASE_URL;
  if (base?.startsWith('mysql://')) {
    list.push({
      name: 'mysql',
      open: () => {
        const url = new URL(base);
        url.pathname = `/chat_it_${randomBytes(4).toString('hex')}`;
        return openDatabase(url.toString(), { poolSize: 8 });
      },
    });
  }
  return list;
}

/** A Redis client for tests when REDIS_URL is set. */
export function testRedis(): Redis | undefined {
  const url = process.env.REDIS_URL;
  return url ? new Redis(url, { maxRetriesPerRequest: 2 }) : undefined;
}
