/**
 * The watchlist room: people with face templates in a native FAISS index,
 * matched by cosine similarity, with threshold governance and one
 * checksummed file. See docs/watchlist.md.
 *
 *   watchlist.ts      the Watchlist class
 *   types.ts          its public types
 *   checks.ts         argument checks (embeddings, thresholds, metadata)
 *   threshold.ts      threshold governance (calibrated thresholds need force to go lower)
 *   queue.ts          mutations one at a time, in call order
 *   format.ts         the file format: bytes in, bytes out, atomic writes
 *   storage.ts        files at rest: AES-256-GCM (version 2), keys, crash-safe reads and writes, key rotation
 *   native-index.ts   the native index's typed surface and its errors
 */
export { Watchlist } from './watchlist.js';
export { WATCHLIST_INDEX_KINDS } from './types.js';
export { watchlistBuildInfo } from './native-index.js';
export { WATCHLIST_KEY_ENV, keyIdOfFile } from './storage.js';
export type { WatchlistFileOptions, WatchlistKeySource } from './storage.js';
export type * from './types.js';
