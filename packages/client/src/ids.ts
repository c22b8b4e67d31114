/** A random UUIDv4 for clientMsgId: crypto.randomUUID where there is one (secure contexts, Node ≥ 19), else built from getRandomValues. */
/** The part of Web Crypto used here (named locally: it exists in browsers and Node, whatever lib a caller compiles with). */
interface RandomSource {
  randomUUID?: () => string;
  getRandomValues?: (array: Uint8Array) => Uint8Array;
}

export function newClientMsgId(): string {
  const c: RandomSource | undefined = Reflect.get(globalThis, 'crypto');
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
