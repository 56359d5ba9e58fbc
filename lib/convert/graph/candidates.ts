/** Placeholder, filled below. */
export interface GraphCandidate { id: string }
export function listGraphCandidates(): GraphCandidate[] { return []; }
