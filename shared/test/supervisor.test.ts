import t from 'tap';
import { ServerProcess } from '../src/testing/server-process';
import { superviseProcesses } from '../src/testing/supervisor';

t.test('a process that dies on its own is restarted; the others are left alone', async (t) => {
  const processes = new Map([
    ['a', new ServerProcess({ target: 'embedded' })],
    ['b', new ServerProcess({ target: 'embedded' })],
  ]);
  let stopped = false;
  t.teardown(async () => {
    stopped = true;
    await Promise.all([...processes.values()].map((p) => p.stop()));
  });
  await Promise.all([...processes.values()].map((p) => p.start()));
  const lines: string[] = [];
  superviseProcesses(processes, (l) => lines.push(l), () => stopped);
  const a = processes.get('a')!;
  const b = processes.get('b')!;
  const [pidA, pidB] = [a.pid!, b.pid!];
  process.kill(pidA, 'SIGKILL');
  const base = await a.baseUrl;
  let back = false;
  for (let i = 0; i < 150 && !back; i++) {
    await new Promise((r) => setTimeout(r, 200));
    back = a.pid !== undefined && a.pid !== pidA && (await fetch(`${base}/healthz`).then((r) => r.ok, () => false));
  }
  t.ok(back, `a is back under a new pid (${lines.join('; ')})`);
  t.equal(a.unexpectedExits, 1, 'one exit nobody asked for');
  t.equal(b.pid, pidB, 'b was not touched');
  t.equal(b.unexpectedExits, 0);
  await a.stop();
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(a.pid, undefined, 'a stop we asked for is not restarted');
});
