/** Types shared by detectors, embedders, watchlists and the pipeline. */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** [x, y] in frame pixel coordinates. */
export type Point = [number, number];

/** The 5 landmarks: left eye, right eye, nose tip, left mouth corner, right mouth corner. */
export type Landmarks5 = [Point, Point, Point, Point, Point];

/**
 * A detected face. `landmarks` holds 5 points in this order: left eye,
 * right eye (as seen in the image: smaller x first for a frontal face),
 * nose tip, left mouth corner, right mouth corner. Box-only detectors
 * (UltraFace) give an empty array.
 */
export interface Face {
  box: Box;
  score: number;
  landmarks: Landmarks5 | [];
}

/** Points as a Face's landmarks: the 5-tuple, or [] for none; any other count is a programming error. */
export function asLandmarks(points: readonly Point[]): Landmarks5 | [] {
  if (points.length === 5) return [points[0]!, points[1]!, points[2]!, points[3]!, points[4]!];
  if (points.length === 0) return [];
  throw new Error(`internal: a face has 5 landmarks or none, not ${points.length}`);
}
