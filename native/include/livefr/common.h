// Shared helpers for the livefr N-API core: errors of livefr's own classes
// (the TypeScript layer hands its error factory to the addon at load, so
// both sides throw the same LivefrTypeError, LivefrRangeError, ...), argument
// checks that throw them, and safe views over caller memory (typed arrays
// with their byte offsets honoured).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "livefr/errors.h"

namespace livefr {

// A JS error of livefr's class for `kind`, naming `param` (may be empty),
// made by the factory registered with setErrorFactory (lib/native/errors.ts).
// Before one is registered: a plain TypeError/RangeError/Error carrying
// `kind` and `parameter`.
Napi::Error MakeError(Napi::Env env, ErrorKind kind, const std::string& param, const std::string& message);

// Throws a livefr TypeError / RangeError: "Expected <expected> for <param>".
[[noreturn]] void ThrowType(Napi::Env env, const std::string& param, const std::string& expected);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& param, const std::string& expected);

// setErrorFactory((kind, parameter, message) => Error): registers the factory.
void InitErrors(Napi::Env env, Napi::Object exports);

// A raw view over the bytes of a TypedArray/Buffer/DataView, offset applied.
struct ByteView {
  uint8_t* data = nullptr;
  size_t length = 0;  // in bytes
};

// Reads a Uint8Array/Buffer (any byte offset). Throws TypeError otherwise.
ByteView GetBytes(Napi::Env env, const Napi::Value& v, const std::string& param);
// Reads a Float32Array (any element offset). Throws TypeError otherwise.
float* GetFloats(Napi::Env env, const Napi::Value& v, const std::string& param, size_t* count);

// Numeric property readers that validate presence, type and range.
int64_t GetInt(Napi::Env env, const Napi::Object& o, const char* key, const std::string& param,
               int64_t min, int64_t max);
double GetNumber(Napi::Env env, const Napi::Object& o, const char* key, const std::string& param);
int64_t GetIntArg(Napi::Env env, const Napi::Value& v, const std::string& param, int64_t min, int64_t max);

// CPU features detected at run time.
struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
};
const CpuFeatures& GetCpuFeatures();

// Module initialisers, one per concern (see native/src/*).
void InitImage(Napi::Env env, Napi::Object exports);
void InitDetect(Napi::Env env, Napi::Object exports);
void InitIndex(Napi::Env env, Napi::Object exports);
void InitQuality(Napi::Env env, Napi::Object exports);
void InitIo(Napi::Env env, Napi::Object exports);

}  // namespace livefr
