/**
 * Errors at the native boundary.
 *
 * - `nativeErrorFactory` is handed to the addon when it loads
 *   (`setErrorFactory`): C++ names a kind ('type', 'range', 'format',
 *   'state', 'native'), the parameter and the message, and gets back one of
 *   livefr's error classes, so errors thrown by native code carry the same
 *   class, `code` and `parameter` as the TypeScript checks. This table is
 *   the only place the kinds are mapped to classes (and so to codes).
 * - `withCallerStack` runs an asynchronous native call so that a rejection
 *   carries the stack of the JavaScript that made the call (an error
 *   created when a worker completes has no JavaScript frames of its own).
 * - `renamed` restates a native error in terms of the public parameter
 *   (the native core knows 'ids' or 'landmarks[3]'; the user passed
 *   'embeddings' or 'faces[3].landmarks'), keeping the native one as `cause`.
 */
import { FileFormatError, LivefrRangeError, LivefrTypeError, NativeError, StateError } from '../errors.js';

/** Kinds the native core raises (native/include/livefr/errors.h ErrorKind). */
export type NativeErrorKind = 'type' | 'range' | 'format' | 'state' | 'native';

export function nativeErrorFactory(kind: NativeErrorKind, parameter: string | undefined, message: string): Error {
  const err = make(kind, parameter, message);
  Error.captureStackTrace(err, nativeErrorFactory); // the stack starts at the native call
  return err;
}

function make(kind: NativeErrorKind, parameter: string | undefined, message: string): Error {
  switch (kind) {
    case 'type':
      return new LivefrTypeError(parameter ?? 'arguments', message);
    case 'range':
      return new LivefrRangeError(parameter ?? 'arguments', message);
    case 'format':
      return new FileFormatError(message);
    case 'state':
      return new StateError(message);
    default:
      return new NativeError(message);
  }
}

/** The current JavaScript stack, without this function's frame. */
function captureStack(skip: (...args: never[]) => unknown): string | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, skip);
  return holder.stack;
}

/**
 * Runs an asynchronous native call; a rejection gets the caller's stack
 * (like sharp's lib/output). Synchronous throws (bad arguments) already
 * have it and pass through unchanged.
 */
export function withCallerStack<T>(call: () => Promise<T>): Promise<T> {
  const stack = captureStack(withCallerStack);
  return call().catch((err: unknown) => {
    if (err instanceof Error && stack !== undefined) {
      err.stack = `${err.name}: ${err.message}\n${stack.split('\n').slice(1).join('\n')}`;
    }
    throw err;
  });
}

/**
 * A native range or type error restated for the public parameter `param`
 * (message kept, the native error as `cause`, the stack of the original).
 * Other errors pass through.
 */
export function renamed(err: unknown, param: string, message?: string): unknown {
  if (!(err instanceof LivefrRangeError) && !(err instanceof LivefrTypeError)) return err;
  const Cls = err instanceof LivefrRangeError ? LivefrRangeError : LivefrTypeError;
  const out = new Cls(param, message ?? err.message, { cause: err });
  if (err.stack !== undefined) out.stack = `${out.name}: ${out.message}\n${err.stack.split('\n').slice(1).join('\n')}`;
  return out;
}
