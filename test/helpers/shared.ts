/**
 * Where the shared fixtures live (../shared beside the repository), and a
 * clear skip when they are absent: a user's fresh clone has none.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const sharedDir = process.env.LIVEFR_SHARED ?? path.resolve(repoRoot, '..', 'shared');
export const modelsDir = path.join(sharedDir, 'models');
export const dataDir = path.join(sharedDir, 'data');

export function sharedModel(name: string): string {
  return path.join(modelsDir, name);
}
export function sharedData(...parts: string[]): string {
  return path.join(dataDir, ...parts);
}

export const hasSharedModels = existsSync(path.join(modelsDir, 'mobilefacenet-128.onnx'));
export const hasSharedData = existsSync(path.join(dataDir, 'lfw-dev', 'pairs.txt'));
export const hasShared = hasSharedModels && hasSharedData;

/** Reason printed in the skip message, so nobody mistakes a skip for a pass. */
export const SKIP_SHARED = `needs ../shared (models and data fixtures) at ${sharedDir}; absent, so skipped`;

if (!hasShared) {
  // Printed once per test file that imports this helper.
  console.warn(`[livefr tests] ${SKIP_SHARED}`);
}
