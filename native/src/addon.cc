// Entry point of the livefr native core: one initialiser per concern.
#include "livefr/common.h"
#include "livefr/index.h"

namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const livefr::CpuFeatures& cpu = livefr::GetCpuFeatures();
  Napi::Object c = Napi::Object::New(env);
  c.Set("avx2", cpu.avx2 && cpu.fma);
  c.Set("avx512", cpu.avx512f && cpu.avx512bw);
  o.Set("cpu", c);
#if defined(LIVEFR_SIMD)
  o.Set("simdCompiled", true);
#else
  o.Set("simdCompiled", false);
#endif
#if defined(LIVEFR_WITH_FAISS)
  o.Set("faiss", true);
#else
  o.Set("faiss", false);
#endif
#if defined(LIVEFR_WITH_FAISS)
  o.Set("faissGpu", livefr::index::HasGpuStore());
#else
  o.Set("faissGpu", false);
#endif
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  livefr::InitErrors(env, exports);
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  livefr::InitImage(env, exports);
  livefr::InitDetect(env, exports);
  livefr::InitIndex(env, exports);
  livefr::InitQuality(env, exports);
  livefr::InitIo(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(livefr, Init)
