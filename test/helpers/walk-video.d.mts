export function lfwPeople(dir: string, min: number): { name: string; files: string[] }[];
export function rng(seed: number): () => number;
export function planWalk(options: Record<string, unknown>): Record<string, unknown>[];
export function walkerAt(p: unknown, f: number, width: number, height: number): { cx: number; cy: number; faceW: number } | null;
export function buildWalkVideo(options: Record<string, unknown>): Promise<Record<string, unknown> & { file: string }>;
