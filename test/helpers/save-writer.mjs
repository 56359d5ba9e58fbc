// Child process for the crash-safety test: loads two reference watchlists
// (the "old" and "new" states) and saves them alternately to a target file
// until killed. The key, if any, comes from LIVEFR_WATCHLIST_KEY.
// argv: <target> <refA> <refB> [first: 0 = A, 1 = B]
import { Watchlist } from '../../dist/watchlist/index.js';

const [target, refA, refB, firstText] = process.argv.slice(2);
const first = Number(firstText ?? 0);
const states = [await Watchlist.load(refA, { key: null }), await Watchlist.load(refB, { key: null })];
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  await states[(first + i) % 2].save(target);
  process.stdout.write('saved\n');
}
