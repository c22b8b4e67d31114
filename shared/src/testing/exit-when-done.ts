import type { Test } from 'tap';

/**
 * Whatever a failed case leaves behind (a socket, a timer, a child's pipe),
 * the test file ends: 15 s after its last test it says what was left, then
 * exits, instead of holding the suite until tap's timeout.
 */
export function exitWhenDone(t: Test): void {
  t.teardown(() => {
    setTimeout(() => {
      console.error(`# still alive 15 s after the last test: ${process.getActiveResourcesInfo().join(', ')}`);
      process.exit();
    }, 15_000).unref();
  });
}
