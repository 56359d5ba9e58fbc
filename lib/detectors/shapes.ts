/** Small helpers for reading output shapes in family adapters. */
export const STRIDES = [8, 16, 32] as const;

/** Last dimension of a shape (values per row). */
export function widthOf(dims: number[]): number {
  return dims[dims.length - 1] ?? 0;
}

/** Rows of a [.., n, c] output: product of every dimension but the last. */
export function rowsOf(dims: number[]): number {
  return dims.slice(0, -1).reduce((a, b) => a * b, 1);
}
