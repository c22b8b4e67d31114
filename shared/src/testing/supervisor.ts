import type { ServerProcess } from './server-process';

/**
 * Restarts any process that exits on its own, after 1 s and doubling to 30 s
 * while it keeps failing to come back, and never touches the others: what
 * compose's `restart: unless-stopped` does, for `npm run phase3`.
 */
export function superviseProcesses(processes: ReadonlyMap<string, ServerProcess>, log: (line: string) => void, stopped: () => boolean): void {
  for (const [name, p] of processes) {
    let delay = 1000;
    let restarting = false;
    const attempt = (): void => {
      if (stopped()) return;
      p.start(120_000).then(
        () => {
          restarting = false;
          delay = 1000;
          log(`${name} is back (pid ${p.pid})`);
        },
        (err: Error) => {
          delay = Math.min(30_000, delay * 2);
          log(`${name} did not come back (${err.message.split('\n')[0]}); retrying in ${delay / 1000} s`);
          setTimeout(attempt, delay).unref();
        },
      );
    };
    p.onUnexpectedExit((code, signal) => {
      // While a restart is under way, its failures are handled by the attempt itself.
      if (stopped() || restarting) return;
      restarting = true;
      log(`${name} exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      setTimeout(attempt, delay).unref();
    });
  }
}
