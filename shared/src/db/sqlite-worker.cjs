// The embedded store's thread: one better-sqlite3 connection, driven by
// messages from worker-sqlite-dialect.ts. Statements run here, one at a time,
// in the order they arrive, so the event loop never waits on SQLite (its
// COMMIT fsync above all). Plain CommonJS so that it loads without a
// TypeScript loader.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require('better-sqlite3');

const db = new SQLite(workerData.file);
db.pragma('journal_mode = WAL');
// FULL: a commit is on disk (WAL fsynced) before it is acknowledged, so an ack
// survives a power loss, not only a process crash (docs/adr/0015).
db.pragma(`synchronous = ${workerData.synchronous}`);
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = OFF');

/**
 * Statements reused by SQL text: kysely prepares every query it runs, and
 * preparing was ~16 % of the embedded write path's CPU (docs/performance.md).
 * Least recently used dropped past MAX_STATEMENTS.
 */
const MAX_STATEMENTS = 500;
const statements = new Map();
function prepare(sql) {
  const cached = statements.get(sql);
  if (cached) {
    statements.delete(sql);
    statements.set(sql, cached);
    return cached;
  }
  const stmt = db.prepare(sql);
  statements.set(sql, stmt);
  if (statements.size > MAX_STATEMENTS) statements.delete(statements.keys().next().value);
  return stmt;
}

function run(sql, parameters) {
  const stmt = prepare(sql);
  if (stmt.reader) return { rows: stmt.all(parameters) };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return { rows: [], changes, lastInsertRowid };
}

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    db.close();
    parentPort.postMessage({ id: msg.id, result: { rows: [] } });
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: msg.id, result: run(msg.sql, msg.parameters) });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: { message: String(err && err.message), code: err && err.code, name: err && err.name } });
  }
});
