/**
 * The native boundary: binding.ts types the addon's whole surface and wraps
 * every call, errors.ts maps native errors onto livefr's classes, load.ts
 * loads the addon. Modules of lib/ reach native code only through here.
 */
export * from './binding.js';
export { withCallerStack, renamed, nativeErrorFactory, type NativeErrorKind } from './errors.js';
