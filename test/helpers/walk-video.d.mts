export function lfwPeople(dir: string, min: number): { name: string; files: string[] }[];
export function rng(seed: number): () => number;
export function planWalk(options: Record<string, unknown>): Record<string, unknown>[];
export function walkerAt(p: unknown, f: number, width: number, height: number): { cx: number; cy: number; faceW: number } | null;
export function buildWalkVideo(options: Record<string, unknown>): Promise<Record<string, unknown> & { file: string }>;
export function enrolAndCalibrate(lib: unknown, detector: unknown, embedder: unknown, lfwImages: string, list: unknown[], exclude?: string[]): Promise<unknown>;
export function walkerList(lfwImages: string, n: number, offset?: number, enrolled?: (k: number) => boolean): unknown[];
export function walkerOfBox(box: { x: number; y: number; width: number; height: number }, frame: number, video: unknown): unknown;
