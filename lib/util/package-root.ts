/** Root of the livefr package (the folder holding package.json), wherever it is installed. */
import { fileURLToPath } from 'node:url';

export const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
