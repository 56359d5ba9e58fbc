/** Types shared by detectors, embedders, watchlists and the pipeline. */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** [x, y] in frame pixel coordinates. */
export type Point = [number, number];

/**
 * A detected face. `landmarks` holds 5 points in this order: left eye,
 * right eye (as seen in the image: smaller x first for a frontal face),
 * nose tip, left mouth corner, right mouth corner. Box-only detectors
 * (UltraFace) give an empty array.
 */
export interface Face {
  box: Box;
  score: number;
  landmarks: Point[];
}
