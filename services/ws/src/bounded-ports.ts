import { UnavailableError } from '@chat/shared/kernel/errors';

/**
 * Dependency calls that answer within a deadline: a Redis or a service that
 * stops answering (SIGSTOP, a network partition) becomes UNAVAILABLE after
 * `ms` instead of holding a socket's frames, or a presence lease, forever.
 * A late answer, or a late rejection, of the call itself is dropped.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnavailableError(`${what} did not answer within ${ms} ms, retry shortly`)), ms);
    timer.unref();
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    );
  });
}

type AsyncMethods<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/** The named async methods of a port, each bounded by `ms`. */
export function bounded<T extends object, K extends AsyncMethods<T>>(port: T, name: string, methods: readonly K[], ms: number): Pick<T, K> {
  const out: Partial<Pick<T, K>> = {};
  for (const method of methods) {
    const call = port[method] as unknown as (...args: unknown[]) => Promise<unknown>;
    const boundedCall = (...args: unknown[]) => {
      let work: Promise<unknown>;
      try {
        work = call.apply(port, args);
      } catch (err) {
        return Promise.reject(err);
      }
      return withDeadline(work, ms, `${name}.${String(method)}`);
    };
    out[method] = boundedCall as unknown as T[K];
  }
  return out as Pick<T, K>;
}
