/**
 * Crash-safe file replacement, shared by every livefr file that is rewritten
 * whole (watchlists, audit heads, deployment state).
 *
 * writeFileAtomic(target, chunks): the bytes go to a temporary file beside
 * the target (`.<name>.<pid>.<hex>.tmp`), which is fsync'ed, renamed over
 * the target, and the directory is fsync'ed, so after a crash at any moment
 * the target holds either its old bytes or the new ones, never a mixture,
 * and a rename that returned is durable.
 *
 * With `scrubPrevious`, the replaced file's bytes are zeroed once the new
 * file is durable and nothing names the old one (a deleted person's
 * templates do not linger in freed blocks of an ext4/xfs disk).
 *
 * A writer killed between creating its temporary file and renaming it leaves
 * that file behind. removeStaleTemps(target) removes what dead writers left
 * for that target and nothing else: a temporary file of a process that is
 * still running (another live writer, or an in-flight save of this process)
 * is kept. A process id that was reused by an unrelated process started
 * after the file was written is recognised on Linux from /proc/<pid>/stat.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** Temporary files this process is writing right now (absolute paths). */
const inFlight = new Set<string>();

/** `.<name>.<pid>-<thread>.<hex>.tmp`: the writer's process and worker thread are part of the name. */
function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${threadId}.${randomBytes(6).toString('hex')}.tmp`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** fsync a directory so a rename or unlink inside it is durable. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    // Some file systems refuse fsync on directories (EINVAL/EISDIR); nothing more can be done there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `target` with `chunks` atomically and durably (temporary file,
 * fsync, rename, fsync of the directory). Removes the temporary file when
 * anything fails before the rename.
 */
export async function writeFileAtomic(target: string, chunks: readonly Uint8Array[], options?: { mode?: number; scrubPrevious?: boolean }): Promise<void> {
  const tmp = tempName(target);
  inFlight.add(tmp);
  // The file being replaced, held open so its bytes can be zeroed once nothing names it any more.
  let previous: number | undefined;
  if (options?.scrubPrevious) {
    try {
      previous = openSync(target, 'r+');
    } catch {
      previous = undefined; // absent, or not writable by us: nothing to scrub
    }
  }
  try {
    const fh = await open(tmp, 'wx', options?.mode ?? 0o600);
    try {
      let pending = chunks.filter((c) => c.byteLength > 0);
      while (pending.length > 0) {
        const { bytesWritten } = await fh.writev(pending as Uint8Array[]);
        pending = advance(pending, bytesWritten);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (previous !== undefined) closeSync(previous);
    throw err;
  } finally {
    inFlight.delete(tmp);
  }
  try {
    fsyncDirectory(path.dirname(target));
    // The new file is durable; the old one is unlinked (unless hard-linked elsewhere): zero its blocks.
    if (previous !== undefined && fstatSync(previous).nlink === 0) scrubOpenFile(previous);
  } finally {
    if (previous !== undefined) closeSync(previous);
  }
}

/** The same, synchronously (for small files written on the JS thread, e.g. an audit head). */
export function writeFileAtomicSync(target: string, chunks: readonly Uint8Array[], options?: { mode?: number }): void {
  const tmp = tempName(target);
  inFlight.add(tmp);
  try {
    const fd = openSync(tmp, 'wx', options?.mode ?? 0o600);
    try {
      for (const c of chunks) {
        let off = 0;
        while (off < c.byteLength) off += writeSync(fd, c, off, c.byteLength - off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  } finally {
    inFlight.delete(tmp);
  }
  fsyncDirectory(path.dirname(target));
}

function advance(chunks: Uint8Array[], written: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (written >= c.byteLength) {
      written -= c.byteLength;
      continue;
    }
    out.push(written > 0 ? c.subarray(written) : c);
    written = 0;
  }
  return out;
}

/** Start time of a process in clock ticks since boot (Linux), or undefined. */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Field 22 (starttime) follows the command name, which may contain spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

let bootTimeMs: number | undefined;
function bootTime(): number | undefined {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    if (m) bootTimeMs = Number(m[1]) * 1000;
  } catch {
    /* not Linux */
  }
  return bootTimeMs;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux build in practice). */
const USER_HZ = 100;

/**
 * True when `pid` may still be writing a file last modified at `mtimeMs`:
 * the process exists and (where the OS says) started before the file changed.
 */
function mayBeLiveWriter(pid: number, thread: number | undefined, mtimeMs: number): boolean {
  // This thread's in-flight files are in `inFlight`; another worker thread of this process may be writing its own.
  if (pid === process.pid) return thread !== undefined && thread !== threadId;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists but belongs to someone else: treat as alive.
  }
  const ticks = processStartTicks(pid);
  const boot = bootTime();
  if (ticks === undefined || boot === undefined) return true;
  const startedMs = boot + (ticks * 1000) / USER_HZ;
  // A process that started after the file was last written did not write it (pid reused). 2 s of slack for clock granularity.
  return startedMs <= mtimeMs + 2000;
}

/**
 * Removes (zeroed, then unlinked) temporary files that writers of `target`
 * died leaving behind. Never touches a file of a live writer. Returns the paths removed.
 */
export function removeStaleTemps(target: string): string[] {
  const dir = path.dirname(target);
  // `.<name>.<pid>-<thread>.<hex>.tmp`, and `.<name>.<pid>.<hex>.tmp` as earlier versions wrote them.
  const re = new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.(\\d+)(?:-(\\d+))?\\.[0-9a-f]+\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = re.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    if (inFlight.has(file)) continue;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      continue; // gone meanwhile
    }
    if (mayBeLiveWriter(Number(m[1]), m[2] === undefined ? undefined : Number(m[2]), mtimeMs)) continue;
    try {
      // Zeroed first: a dead writer's half-written watchlist holds templates.
      if (removeFileScrubbed(file)) removed.push(file);
    } catch {
      /* removed by someone else meanwhile */
    }
  }
  return removed;
}

/**
 * Overwrites a file's bytes with zeros (fsync'ed), then unlinks it and
 * fsyncs the folder. On file systems that write in place (ext4, xfs) the
 * old bytes are gone from the disk blocks too; on copy-on-write or
 * wear-levelled storage they may survive until reused, which only
 * encryption at rest prevents. Resolves false when the file did not exist.
 */
export function removeFileScrubbed(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    scrubOpenFile(fd);
  } finally {
    closeSync(fd);
  }
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fsyncDirectory(path.dirname(file));
  return true;
}

/** Zeroes every byte of an open file and fsyncs it (the file keeps its length). */
export function scrubOpenFile(fd: number): void {
  const size = fstatSync(fd).size;
  const zeros = Buffer.alloc(Math.min(size, 1 << 20));
  for (let off = 0; off < size; ) {
    const n = writeSync(fd, zeros, 0, Math.min(zeros.length, size - off), off);
    off += n;
  }
  fsyncSync(fd);
}
