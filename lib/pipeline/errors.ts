/** Errors of the pipeline room: a stream's own failures carry its id. */
import { LivefrError } from '../errors.js';

/**
 * A stream failed (could not be decoded, stalled, ended or dropped). Only
 * that stream is affected. `code` is one of ERR_LIVEFR_STREAM_DECODE,
 * _DECODER (ffmpeg missing), _STALLED, _ENDED, _CONNECT, _GAVE_UP,
 * _INFERENCE (a frame's inference failed).
 */
export class StreamError extends LivefrError {
  /** The stream's id (set by the pipeline). */
  streamId: string | undefined;
  constructor(code: string, message: string, options?: { cause?: unknown; streamId?: string }) {
    super(code, message, options);
    this.name = 'StreamError';
    this.streamId = options?.streamId;
  }
}
