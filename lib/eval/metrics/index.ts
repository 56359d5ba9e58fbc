/**
 * Accuracy metrics for face verification (1:1) and open-set identification
 * (1:N). Pure TypeScript on plain score lists, so every figure can be checked
 * by hand. One module per thing measured: scores.ts (score lists,
 * histograms), rates.ts (thresholds at a target rate, refusals), curves.ts
 * (ROC, DET), verification.ts (TAR at FAR, k-fold accuracy),
 * identification.ts (FNIR at FPIR, rank-1).
 *
 * Conventions (used everywhere in livefr):
 * - A comparison is ACCEPTED (a match, an alert) when `score >= threshold`.
 * - Scores are float32 similarities. A threshold chosen from data is the
 *   smallest float32 strictly above the highest negative score that must be
 *   rejected, so ties are never split: all equal scores fall on the same side.
 * - A figure set at an error-rate target rests on the number of negatives
 *   (impostor pairs, non-mated probes). With n negatives and target rate r the
 *   threshold is fixed by about n*r negatives above it. livefr refuses (value
 *   null plus `refused` reason) any figure with n < minExpectedErrors / r,
 *   default minExpectedErrors = 3: the "rule of three" (with zero errors seen in
 *   n trials, the 95% upper bound on the rate is about 3/n, so fewer than 3/r
 *   trials cannot even show that the rate is below r).
 */
export * from './scores.js';
export * from './rates.js';
export * from './curves.js';
export * from './verification.js';
export * from './identification.js';
export { wilsonInterval, clopperPearsonInterval } from '../stats.js';
export type { Interval } from '../stats.js';
