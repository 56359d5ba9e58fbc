/**
 * Starts and kills a real RTSP server (test/helpers/rtsp-server.py, GStreamer
 * through python3-gi, Debian's python at /usr/bin/python3 because pyenv's
 * has no gi).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
export const PYTHON = '/usr/bin/python3';

export const hasRtspServer =
  spawnSync(PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"], { stdio: 'ignore' }).status === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export class RtspServer {
  child: ChildProcess | null = null;
  constructor(readonly port: number, readonly file: string, readonly mount = '/cam') {}
  get url(): string {
    return `rtsp://127.0.0.1:${this.port}${this.mount}`;
  }
  async start(): Promise<void> {
    const child = spawn(PYTHON, [script, String(this.port), this.mount, this.file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let err = '';
    child.stderr!.on('data', (d) => (err = (err + d).slice(-2000)));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`RTSP server did not start: ${err}`)), 20000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('READY')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`RTSP server exited ${code}: ${err}`));
      });
    });
    child.removeAllListeners('exit');
  }
  /** SIGKILL: the server dies mid-stream, as a crashed camera would. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill('SIGKILL');
    });
  }
}
