#include "livefr/common.h"

#include <cmath>

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace livefr {

void ThrowType(Napi::Env env, const std::string& param, const std::string& expected) {
  throw MakeError(env, ErrorKind::kType, param, "Expected " + expected + " for " + param);
}

void ThrowRange(Napi::Env env, const std::string& param, const std::string& expected) {
  throw MakeError(env, ErrorKind::kRange, param, "Expected " + expected + " for " + param);
}

ByteView GetBytes(Napi::Env env, const Napi::Value& v, const std::string& param) {
  if (!v.IsTypedArray()) ThrowType(env, param, "a Uint8Array or Buffer");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array && ta.TypedArrayType() != napi_uint8_clamped_array) {
    ThrowType(env, param, "a Uint8Array or Buffer");
  }
  Napi::Uint8Array u8 = v.As<Napi::Uint8Array>();
  ByteView view;
  view.data = u8.Data();  // Data() already applies the byte offset
  view.length = u8.ByteLength();
  return view;
}

float* GetFloats(Napi::Env env, const Napi::Value& v, const std::string& param, size_t* count) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowType(env, param, "a Float32Array");
  }
  Napi::Float32Array f = v.As<Napi::Float32Array>();
  *count = f.ElementLength();
  return f.Data();
}

int64_t GetIntArg(Napi::Env env, const Napi::Value& v, const std::string& param, int64_t min, int64_t max) {
  if (!v.IsNumber()) ThrowType(env, param, "an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) ThrowType(env, param, "an integer");
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    ThrowRange(env, param, "an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int64_t>(d);
}

int64_t GetInt(Napi::Env env, const Napi::Object& o, const char* key, const std::string& param,
               int64_t min, int64_t max) {
  return GetIntArg(env, o.Get(key), param, min, max);
}

double GetNumber(Napi::Env env, const Napi::Object& o, const char* key, const std::string& param) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) ThrowType(env, param, "a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) ThrowRange(env, param, "a finite number");
  return d;
}

static CpuFeatures DetectCpu() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
  int r[4];
  __cpuid(r, 0);
  int maxLeaf = r[0];
  __cpuid(r, 1);
  bool osxsave = (r[2] >> 27) & 1;
  f.fma = (r[2] >> 12) & 1;
  unsigned long long xcr0 = osxsave ? _xgetbv(0) : 0;
  bool ymm = (xcr0 & 0x6) == 0x6;
  bool zmm = (xcr0 & 0xe6) == 0xe6;
  if (maxLeaf >= 7) {
    __cpuidex(r, 7, 0);
    f.avx2 = ymm && ((r[1] >> 5) & 1);
    f.avx512f = zmm && ((r[1] >> 16) & 1);
    f.avx512bw = zmm && ((r[1] >> 30) & 1);
  }
  f.fma = f.fma && ymm;
#else
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
#endif
#endif
  return f;
}

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = DetectCpu();
  return features;
}

}  // namespace livefr
