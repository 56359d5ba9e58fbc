/** Small text helpers shared by the commands' human-readable output. */

/** "1 image", "2 images"; "1 person", "3 people" with an explicit plural. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
