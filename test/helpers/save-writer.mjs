// Child process for the crash-safety test: loads two reference watchlists
// (the "old" and "new" states), says "loaded", waits for a line on stdin
// naming the state to save first (0 = A, 1 = B), then saves them
// alternately to the target until killed, printing "saved" after each. The
// key, if any, comes from LIVEFR_WATCHLIST_KEY.
// argv: <target> <refA> <refB>
import { Watchlist } from '../../dist/watchlist/index.js';

const [target, refA, refB] = process.argv.slice(2);
const states = [await Watchlist.load(refA, { key: null }), await Watchlist.load(refB, { key: null })];
process.stdout.write('loaded\n');
const first = await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (d) => {
    text += d;
    if (text.includes('\n')) resolve(Number(text.trim()));
  });
});
for (let i = 0; ; i++) {
  await states[(first + i) % 2].save(target);
  process.stdout.write('saved\n');
}
