// Reads CPU time and RSS of a process from /proc, finds a listening process by
// port, and pins processes to cores with taskset.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep 100, the Linux default
}
const PAGE = 4096;

export interface ProcSample {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** utime+stime and RSS of `pid`, or undefined when the process is gone. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces, start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(f[11]);
    const stime = Number(f[12]);
    const rssPages = Number(f[21]);
    return { cpuSeconds: (utime + stime) / clkTck, rssBytes: rssPages * PAGE };
  } catch {
    return undefined;
  }
}

/** The pid of the process listening on TCP `port` (IPv4 or IPv6), from /proc/net/tcp and /proc/<pid>/fd. */
export function pidListeningOn(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ip:PORT; state 0A is LISTEN; column 9 is the inode.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

export function coreCount(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length || 1;
  } catch {
    return 1;
  }
}

/** Pins every thread of `pid` to `cpuList` (e.g. "0"); returns a description, or why it could not. */
export function pin(pid: number, cpuList: string): string {
  if (coreCount() < 2) return `not pinned (1 core)`;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
    return `pinned to core ${cpuList} (taskset -a)`;
  } catch (err) {
    return `not pinned (taskset failed: ${(err as Error).message.split('\n')[0]})`;
  }
}

/** One gauge of a Prometheus text page, summed over its label sets (undefined: not on the page). */
export function gaugeSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Reads one gauge from a Prometheus text endpoint (sum over label sets). */
export async function scrapeGauge(metricsUrl: string, name: string): Promise<number | undefined> {
  try {
    return gaugeSum(await (await fetch(metricsUrl)).text(), name);
  } catch {
    return undefined;
  }
}
