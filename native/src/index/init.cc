// Registers the watchlist index: the WatchIndex class and indexInfo(),
// which says what is there (FAISS version, whether a GPU store exists: none yet, index kinds).
#include "livefr/common.h"
#include "livefr/index.h"

#if defined(LIVEFR_WITH_FAISS)
#include "watch_index.h"
#endif

namespace livefr {

namespace {

Napi::Value IndexInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#if defined(LIVEFR_WITH_FAISS)
  o.Set("faiss", Napi::String::New(env, index::FaissVersion()));
  o.Set("gpu", Napi::Boolean::New(env, index::HasGpuStore()));
  Napi::Array kinds = Napi::Array::New(env, 3);
  kinds.Set(0u, "flat");
  kinds.Set(1u, "hnsw");
  kinds.Set(2u, "ivf");
  o.Set("kinds", kinds);
#else
  o.Set("faiss", env.Null());
  o.Set("gpu", Napi::Boolean::New(env, false));
  o.Set("kinds", Napi::Array::New(env, 0));
#endif
  return o;
}

}  // namespace

void InitIndex(Napi::Env env, Napi::Object exports) {
  exports.Set("indexInfo", Napi::Function::New(env, IndexInfo, "indexInfo"));
#if defined(LIVEFR_WITH_FAISS)
  exports.Set("WatchIndex", index::WatchIndex::Define(env));
#endif
}

}  // namespace livefr
