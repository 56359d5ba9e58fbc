/**
 * What `require('livefr')` loads: livefr is an ES module (its models load
 * in worker threads, its API is asynchronous end to end), and Node 20's
 * require() cannot load ES modules without a flag. Rather than
 * ERR_PACKAGE_PATH_NOT_EXPORTED, say so and show the line that works.
 * Its types export nothing, so a CommonJS TypeScript file that imports
 * livefr statically fails to compile instead of failing at run time.
 */
const error = new Error(
  "livefr is an ES module and cannot be loaded with require(). In an ES module (a .mjs file, or \"type\": \"module\"): " +
    "import { Detector, Embedder, Watchlist } from 'livefr'; in CommonJS: const { Detector, Embedder, Watchlist } = await import('livefr');",
) as Error & { code: string };
error.code = 'ERR_REQUIRE_ESM';
throw error;
