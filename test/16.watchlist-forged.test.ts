// Forged watchlist files (issue 7, item 4): index bytes changed and the
// SHA-256 recomputed, so only the structural checks of the native loader
// stand between the bytes and FAISS. Each run is a child process (a graph
// that reached a search unvalidated used to kill it with SIGSEGV), seeded,
// so every run forges the same bytes. `npm run fuzz` runs many more seeds.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/shared.js';

interface Report {
  kind: string;
  cases: number;
  rejected: number;
  loaded: number;
  errors: Record<string, number>;
  failures: { case: string; error: string }[];
  outcomes: Record<string, 'rejected' | 'loaded'>;
}

function forge(args: string[]): Report {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'test/helpers/forge-watchlist.mjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(r.signal, `the forgery run died: ${r.stderr}`).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
}

describe('forged watchlist files never reach a FAISS search unvalidated', () => {
  it('hnsw: every forged graph structure is a FileFormatError; flipped bytes load safely or are refused', () => {
    const r = forge(['--kind', 'hnsw', '--seed', '1', '--flips', '320', '--targeted']);
    expect(r.failures).toEqual([]);
    expect(r.rejected + r.loaded).toBe(r.cases);
    // Only livefr's FileFormatError, never another error.
    expect(Object.keys(r.errors)).toEqual(['ERR_LIVEFR_FILE_FORMAT']);
    const graph = Object.entries(r.outcomes).filter(([name]) => !/^(efSearch|upper_beam|efConstruction)/.test(name));
    expect(graph.length).toBeGreaterThan(20);
    for (const [name, outcome] of graph) expect(outcome, name).toBe('rejected');
    // Search parameters in the file are replaced by the watchlist's options: such files load and work.
    for (const name of ['efSearch 1 << 30', 'upper_beam 0', 'upper_beam 1 << 28', 'efConstruction 0']) {
      expect(r.outcomes[name], name).toBe('loaded');
    }
  });

  it('flat and ivf: flipped index bytes load safely or are refused', () => {
    for (const kind of ['flat', 'ivf']) {
      const r = forge(['--kind', kind, '--seed', '1', '--flips', '200']);
      expect(r.failures, kind).toEqual([]);
      expect(r.rejected, kind).toBeGreaterThan(0);
      expect(Object.keys(r.errors), kind).toEqual(['ERR_LIVEFR_FILE_FORMAT']);
    }
  });
});
