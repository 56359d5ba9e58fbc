/**
 * The native watchlist index (native/src/index): its typed surface, and the
 * mapping of its rejections onto livefr's error classes.
 */
import { FileFormatError, LivefrRangeError, NativeError, StateError } from '../errors.js';
import { native } from '../native.js';
import type { WatchlistBuildInfo, WatchlistIndexKind } from './types.js';

export interface NativeSearchResult {
  scores: Float32Array;
  ids: BigInt64Array;
}

export interface NativeWatchIndex {
  add(ids: Float64Array | BigInt64Array, vectors: Float32Array): Promise<void>;
  remove(ids: Float64Array | BigInt64Array): Promise<number>;
  search(queries: Float32Array, k: number, exact?: boolean): Promise<NativeSearchResult>;
  vectors(ids: Float64Array | BigInt64Array): Promise<Float32Array>;
  ids(): Promise<BigInt64Array>;
  train(): Promise<void>;
  compact(): Promise<number>;
  serialize(): Promise<Uint8Array>;
  load(bytes: Uint8Array): Promise<void>;
  readonly size: number;
  readonly tombstones: number;
  readonly trained: boolean;
  readonly dim: number;
  readonly kind: WatchlistIndexKind;
}

export interface NativeIndexOptions {
  dim: number;
  kind: WatchlistIndexKind;
  M: number;
  efSearch: number;
  efConstruction: number;
  nlist: number;
  nprobe: number;
}

type NativeWatchIndexClass = new (options: NativeIndexOptions) => NativeWatchIndex;

export function createNativeIndex(options: NativeIndexOptions): NativeWatchIndex {
  const ctor = native().WatchIndex;
  if (typeof ctor !== 'function') {
    throw new NativeError('This build of the livefr native core has no watchlist index (it was compiled without FAISS: LIVEFR_WITH_FAISS=OFF).');
  }
  return new (ctor as NativeWatchIndexClass)(options);
}

/** FAISS version, GPU path and index kinds compiled into the native core. */
export function watchlistBuildInfo(): WatchlistBuildInfo {
  const f = native().indexInfo;
  if (typeof f !== 'function') return { faiss: null, gpu: false, kinds: [] };
  return (f as () => WatchlistBuildInfo)();
}

/** Turns a native rejection (plain Error with a code) into livefr's error classes. */
export function mapNativeError(err: unknown, param: string, file?: string): Error {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  switch (e?.code) {
    case 'ERR_LIVEFR_OUT_OF_RANGE':
      return new LivefrRangeError(param, `${msg}`);
    case 'ERR_LIVEFR_FILE_FORMAT':
      return new FileFormatError(file ? `${file}: ${msg}` : msg, { cause: err });
    case 'ERR_LIVEFR_STATE':
      return new StateError(msg);
    default:
      return err instanceof Error ? err : new NativeError(msg, { cause: err });
  }
}
