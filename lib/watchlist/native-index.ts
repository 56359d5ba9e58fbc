/**
 * The watchlist's use of the native index (lib/native createWatchIndex):
 * its options, what the build has, and native errors restated for the
 * watchlist's public parameters.
 */
import { FileFormatError } from '../errors.js';
import { createWatchIndex, indexInfo, renamed, type NativeIndexOptions, type NativeWatchIndex } from '../native/index.js';
import type { WatchlistBuildInfo } from './types.js';

export type { NativeWatchIndex };

export function createNativeIndex(options: NativeIndexOptions): NativeWatchIndex {
  return createWatchIndex(options);
}

/** FAISS version, GPU index (none in this build) and index kinds compiled into the native core. */
export function watchlistBuildInfo(): WatchlistBuildInfo {
  return indexInfo();
}

/**
 * A native rejection in the watchlist's terms: range errors name the public
 * parameter `param`, file-format errors the file.
 */
export function mapNativeError(err: unknown, param: string, file?: string): unknown {
  if (err instanceof FileFormatError && file !== undefined) return new FileFormatError(`${file}: ${err.message}`, { cause: err });
  return renamed(err, param);
}
