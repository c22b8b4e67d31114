import { BlockList, isIP } from 'node:net';

/** `::ffff:127.0.0.1` is 127.0.0.1: a dual-stack server reports IPv4 clients that way. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** A set of addresses and CIDRs (`10.0.0.0/8`, `::1`), as configured. */
export class AddressList {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [ip, bits] = entry.split('/') as [string, string | undefined];
      const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(ip, type);
      else this.list.addSubnet(ip, Number(bits), type);
    }
  }

  has(address: string | undefined): boolean {
    if (!address || this.empty) return false;
    const plain = plainAddress(address);
    const type = isIP(plain);
    return type !== 0 && this.list.check(plain, type === 6 ? 'ipv6' : 'ipv4');
  }
}
