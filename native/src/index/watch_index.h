// The N-API face of the watchlist index: `new WatchIndex(options)` with
// promise-returning methods. Every FAISS call runs in an AsyncWorker
// (workers.cc) under `mu`: searches take it shared, mutations exclusively,
// so queries may be in flight while entries are added or removed.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <unordered_set>
#include <vector>

#include "livefr/index.h"

namespace livefr {
namespace index {

class WatchIndex : public Napi::ObjectWrap<WatchIndex> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit WatchIndex(const Napi::CallbackInfo& info);

  // State shared with the workers. Guarded by `mu`, except the atomics,
  // which mirror it for the synchronous getters (they never block JS).
  IndexOptions opts;
  std::unique_ptr<Store> store;
  std::unordered_set<Id> live;  // ids present, to reject duplicates
  std::shared_mutex mu;
  std::atomic<int64_t> sizeMirror{0};
  std::atomic<int64_t> tombstoneMirror{0};
  std::atomic<bool> trainedMirror{false};

  // Refreshes the atomics; call with `mu` held exclusively.
  void Mirror();

 private:
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Remove(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value Vectors(const Napi::CallbackInfo& info);
  Napi::Value IdList(const Napi::CallbackInfo& info);
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value Compact(const Napi::CallbackInfo& info);
  Napi::Value SerializeBytes(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value GetSize(const Napi::CallbackInfo& info);
  Napi::Value GetTombstones(const Napi::CallbackInfo& info);
  Napi::Value GetTrained(const Napi::CallbackInfo& info);
  Napi::Value GetDim(const Napi::CallbackInfo& info);
  Napi::Value GetKind(const Napi::CallbackInfo& info);
};

// Ids from JS: a BigInt64Array (read in place) or a Float64Array of
// integers (converted). The caller keeps the array alive.
struct IdInput {
  const Id* external = nullptr;  // BigInt64Array memory, or null
  std::vector<Id> converted;     // Float64Array values, converted
  size_t count = 0;
  const Id* data() const { return external ? external : converted.data(); }
};
IdInput ReadIds(Napi::Env env, const Napi::Value& v, const char* param);

// Queue the workers; each returns its promise.
Napi::Value QueueAdd(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& ids,
                     const Napi::Value& vectors);
Napi::Value QueueRemove(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& ids);
Napi::Value QueueSearch(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& queries,
                        size_t k, bool exact);
Napi::Value QueueVectors(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& ids);
Napi::Value QueueIds(Napi::Env env, WatchIndex* self, Napi::Object thisObj);
Napi::Value QueueTrain(Napi::Env env, WatchIndex* self, Napi::Object thisObj);
Napi::Value QueueCompact(Napi::Env env, WatchIndex* self, Napi::Object thisObj);
Napi::Value QueueSerialize(Napi::Env env, WatchIndex* self, Napi::Object thisObj);
Napi::Value QueueLoad(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& bytes);

}  // namespace index
}  // namespace livefr
