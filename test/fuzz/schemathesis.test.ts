import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Schemathesis against the embedded server, every check and phase (scripts/schemathesis.sh):
// no failure, and it really generated cases. The first run also creates the cached virtual environment.
t.setTimeout(15 * 60_000);

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/schemathesis.sh'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

t.test('schemathesis finds nothing', async (t) => {
  const { status, output } = await run();
  // "Test cases:\n  1459 generated, 1459 passed, 42 skipped"
  const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  t.comment(output.split('\n').filter((line) => /generated|No issues|failures?|took/.test(line)).join('\n'));
  t.ok(generated > 0, `schemathesis generated cases (${generated})`);
  t.equal(status, 0, 'exit status 0', { output: status === 0 ? undefined : output.slice(-20_000) });
});
