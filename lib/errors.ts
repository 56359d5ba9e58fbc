/**
 * One error factory for the whole library. Every error livefr throws on
 * purpose is one of these classes and carries a stable `code`; argument
 * errors also name the parameter (`error.parameter`).
 */

/** Base class of livefr's own errors that are not argument errors. */
export class LivefrError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LivefrError';
    this.code = code;
  }
}

/** A value of the wrong type was passed. */
export class LivefrTypeError extends TypeError {
  readonly code = 'ERR_LIVEFR_INVALID_TYPE';
  readonly parameter: string;
  constructor(parameter: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TypeError';
    this.parameter = parameter;
  }
}

/** A value of the right type but outside what is allowed. */
export class LivefrRangeError extends RangeError {
  readonly code = 'ERR_LIVEFR_OUT_OF_RANGE';
  readonly parameter: string;
  constructor(parameter: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RangeError';
    this.parameter = parameter;
  }
}

/** A model file is missing, corrupt, tampered with, or of an unexpected layout. */
export class ModelError extends LivefrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LIVEFR_MODEL', message, options);
    this.name = 'ModelError';
  }
}

/** An image or video could not be decoded. */
export class DecodeError extends LivefrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LIVEFR_DECODE', message, options);
    this.name = 'DecodeError';
  }
}

/**
 * What is wrong with a file: `truncated` (shorter than its header says),
 * `corrupt` (a checksum or structure check failed), `tampered` (encrypted
 * and its authentication failed: modified by someone, or damaged),
 * `newer-version` (written by a newer livefr), `not-livefr` (another kind of
 * file), `unreadable` (the file system refused), `invalid` (well-formed but
 * inconsistent content).
 */
export type FileFormatReason = 'truncated' | 'corrupt' | 'tampered' | 'newer-version' | 'not-livefr' | 'unreadable' | 'invalid';

/** A livefr file (watchlist, audit log, cache) is corrupt or of another version. */
export class FileFormatError extends LivefrError {
  /** What is wrong, when known (see FileFormatReason). */
  readonly reason: FileFormatReason | undefined;
  constructor(message: string, options?: { cause?: unknown; reason?: FileFormatReason }) {
    super('ERR_LIVEFR_FILE_FORMAT', message, options);
    this.name = 'FileFormatError';
    this.reason = options?.reason;
  }
}

/**
 * An encrypted file cannot be opened with the key at hand: `key-required`
 * (no key was given) or `wrong-key` (the file was encrypted under another
 * key; its key id says so before any decryption is tried).
 */
export class KeyError extends LivefrError {
  readonly reason: 'key-required' | 'wrong-key';
  constructor(reason: 'key-required' | 'wrong-key', message: string) {
    super('ERR_LIVEFR_KEY', message);
    this.name = 'KeyError';
    this.reason = reason;
  }
}

/** An operation is not allowed in the object's current state (closed, busy, ...). */
export class StateError extends LivefrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LIVEFR_STATE', message, options);
    this.name = 'StateError';
  }
}

/**
 * The file system refused an operation on a path the caller gave (no
 * permission, disk full, read-only, I/O error): `parameter` names the
 * argument, `cause` is Node's error (its `code` is the errno name).
 */
export class FileSystemError extends LivefrError {
  readonly parameter: string;
  constructor(parameter: string, message: string, options?: { cause?: unknown }) {
    super('ERR_LIVEFR_FILE_SYSTEM', message, options);
    this.name = 'FileSystemError';
    this.parameter = parameter;
  }
}

/** The native addon could not be loaded or lacks a compiled feature. */
export class NativeError extends LivefrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LIVEFR_NATIVE', message, options);
    this.name = 'NativeError';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as { length?: number }).length ?? value.byteLength})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'function') return 'function';
  return (value as object).constructor?.name ?? typeof value;
}

/** `Expected <expected> for <parameter> but received <value>` as a TypeError. */
export function invalidType(parameter: string, expected: string, received: unknown): LivefrTypeError {
  return new LivefrTypeError(parameter, `Expected ${expected} for ${parameter} but received ${describe(received)}`);
}

/** `Expected <expected> for <parameter> but received <value>` as a RangeError. */
export function outOfRange(parameter: string, expected: string, received: unknown): LivefrRangeError {
  return new LivefrRangeError(parameter, `Expected ${expected} for ${parameter} but received ${describe(received)}`);
}
