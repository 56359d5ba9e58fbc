/**
 * Threshold governance: the alert threshold and the calibration it was set
 * from. Once a calibrated threshold is recorded, a lower one (more false
 * alerts than calibrated for) is refused unless forced.
 */
import { LivefrRangeError } from '../errors.js';
import { checkBoolean, checkOptions } from '../validate.js';
import { checkCalibration, checkThreshold } from './checks.js';
import type { CalibrationRecord } from './types.js';

export class ThresholdGovernor {
  #threshold: number;
  #calibration: CalibrationRecord | undefined;

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  get threshold(): number {
    return this.#threshold;
  }

  /** The record itself (callers copy it before handing it out). */
  get calibration(): CalibrationRecord | undefined {
    return this.#calibration;
  }

  /** Watchlist.setThreshold: checks the arguments, then sets (and records the calibration when given). */
  set(threshold: unknown, options: unknown): void {
    const t = checkThreshold('threshold', threshold);
    const o = checkOptions('options', options, ['calibration', 'force']);
    const force = o.force === undefined ? false : checkBoolean('options.force', o.force);
    const cal = o.calibration === undefined ? undefined : checkCalibration(o.calibration);
    this.guard('threshold', t, force);
    this.#threshold = t;
    if (cal !== undefined) this.#calibration = { ...cal, threshold: t, setAt: new Date().toISOString() };
  }

  /** Restores a record read from a file (already checked by the caller). */
  restore(record: CalibrationRecord): void {
    this.#calibration = record;
  }

  /** A threshold below the calibrated one raises more false alerts: refused unless forced. */
  guard(param: string, t: number, force: boolean): void {
    const c = this.#calibration;
    if (c !== undefined && t < c.threshold && !force) {
      throw new LivefrRangeError(
        param,
        `Expected ${param} >= the calibrated threshold ${c.threshold} (calibrated for FPIR ${c.targetFPIR} at ` +
          `${c.watchlistSize} people) but received ${t}: a lower threshold raises more false alerts; pass { force: true } to override`,
      );
    }
  }
}
