type Box = { x: number; y: number; width: number; height: number };
export function pasteFaceGrid(
  frame: Buffer,
  W: number,
  H: number,
  options: { lfw: string; people: string[]; rnd: () => number; count: number; size: number },
): Promise<Box[]>;
