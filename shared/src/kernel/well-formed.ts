/** A lone surrogate: in `u` mode a surrogate pair is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path (`body.name`, `body.memberIds.2`) of the first string, key or value,
 * in a parsed JSON value that is not well-formed UTF-16, or undefined.
 *
 * JSON's `\ud800` escape makes strings no UTF-8 encoder can write as they are:
 * stored, they come back as U+FFFD from one path and unchanged from another.
 * Such input is refused, never stored. Iterative, so a deeply nested body
 * cannot overflow the stack; bounded by the body's size (the body limit).
 */
export function illFormedStringPath(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return path;
        stack.push([child, `${path}.${k}`]);
      }
    }
  }
  return undefined;
}
