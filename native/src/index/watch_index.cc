// WatchIndex: option parsing, argument re-checks and the JS method table.
// The TypeScript layer (lib/watchlist.ts) validates first; these checks
// are the second line, so a wrong call can never reach FAISS.
#if defined(LIVEFR_WITH_FAISS)
#include "watch_index.h"

#include <cmath>
#include <mutex>
#include <string>

#include "livefr/common.h"

namespace livefr {
namespace index {

namespace {

Kind ParseKind(Napi::Env env, const Napi::Value& v) {
  if (!v.IsString()) ThrowType(env, "options.kind", "'flat', 'hnsw' or 'ivf'");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "flat") return Kind::kFlat;
  if (s == "hnsw") return Kind::kHnsw;
  if (s == "ivf") return Kind::kIvf;
  ThrowRange(env, "options.kind", "'flat', 'hnsw' or 'ivf'");
}

int OptionalInt(Napi::Env env, const Napi::Object& o, const char* key, int fallback, int min, int max) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  return static_cast<int>(GetIntArg(env, v, std::string("options.") + key, min, max));
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kHnsw:
      return "hnsw";
    case Kind::kIvf:
      return "ivf";
    default:
      return "flat";
  }
}

}  // namespace

IdInput ReadIds(Napi::Env env, const Napi::Value& v, const char* param) {
  IdInput in;
  if (v.IsTypedArray()) {
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if (ta.TypedArrayType() == napi_bigint64_array) {
      Napi::BigInt64Array b = v.As<Napi::BigInt64Array>();
      in.external = b.Data();
      in.count = b.ElementLength();
      return in;
    }
    if (ta.TypedArrayType() == napi_float64_array) {
      Napi::Float64Array f = v.As<Napi::Float64Array>();
      in.count = f.ElementLength();
      in.converted.resize(in.count);
      for (size_t i = 0; i < in.count; i++) {
        double d = f[i];
        if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0) {
          ThrowRange(env, param, "integral ids (index " + std::to_string(i) + " is not)");
        }
        in.converted[i] = static_cast<Id>(d);
      }
      return in;
    }
  }
  ThrowType(env, param, "a BigInt64Array or a Float64Array of integral ids");
}

Napi::Function WatchIndex::Define(Napi::Env env) {
  return DefineClass(env, "WatchIndex",
                     {
                         InstanceMethod<&WatchIndex::Add>("add"),
                         InstanceMethod<&WatchIndex::Remove>("remove"),
                         InstanceMethod<&WatchIndex::Search>("search"),
                         InstanceMethod<&WatchIndex::Vectors>("vectors"),
                         InstanceMethod<&WatchIndex::IdList>("ids"),
                         InstanceMethod<&WatchIndex::Train>("train"),
                         InstanceMethod<&WatchIndex::Compact>("compact"),
                         InstanceMethod<&WatchIndex::SerializeBytes>("serialize"),
                         InstanceMethod<&WatchIndex::Load>("load"),
                         InstanceAccessor<&WatchIndex::GetSize>("size"),
                         InstanceAccessor<&WatchIndex::GetTombstones>("tombstones"),
                         InstanceAccessor<&WatchIndex::GetTrained>("trained"),
                         InstanceAccessor<&WatchIndex::GetDim>("dim"),
                         InstanceAccessor<&WatchIndex::GetKind>("kind"),
                     });
}

WatchIndex::WatchIndex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WatchIndex>(info) {
  Napi::Env env = info.Env();
  if (!info.IsConstructCall()) ThrowType(env, "WatchIndex", "a call with new");
  if (info.Length() < 1 || !info[0].IsObject()) ThrowType(env, "options", "an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  opts.dim = static_cast<int>(GetInt(env, o, "dim", "options.dim", 1, 65536));
  opts.kind = ParseKind(env, o.Get("kind"));
  opts.hnswM = OptionalInt(env, o, "M", opts.hnswM, 2, 256);
  opts.hnswEfConstruction = OptionalInt(env, o, "efConstruction", opts.hnswEfConstruction, 1, 100000);
  opts.hnswEfSearch = OptionalInt(env, o, "efSearch", opts.hnswEfSearch, 1, 100000);
  opts.ivfNlist = OptionalInt(env, o, "nlist", opts.ivfNlist, 1, 1 << 20);
  opts.ivfNprobe = OptionalInt(env, o, "nprobe", opts.ivfNprobe, 1, 1 << 20);
  store = MakeStore(opts);
  Mirror();
}

void WatchIndex::Mirror() {
  sizeMirror = static_cast<int64_t>(store->size());
  tombstoneMirror = static_cast<int64_t>(store->tombstones());
  trainedMirror = opts.kind != Kind::kIvf || store->kind() == Kind::kIvf;
}

Napi::Value WatchIndex::Add(const Napi::CallbackInfo& info) {
  return QueueAdd(info.Env(), this, info.This().As<Napi::Object>(), info[0], info[1]);
}

Napi::Value WatchIndex::Remove(const Napi::CallbackInfo& info) {
  return QueueRemove(info.Env(), this, info.This().As<Napi::Object>(), info[0]);
}

Napi::Value WatchIndex::Search(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t k = static_cast<size_t>(GetIntArg(env, info[1], "k", 1, 1 << 20));
  bool exact = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  return QueueSearch(env, this, info.This().As<Napi::Object>(), info[0], k, exact);
}

Napi::Value WatchIndex::Vectors(const Napi::CallbackInfo& info) {
  return QueueVectors(info.Env(), this, info.This().As<Napi::Object>(), info[0]);
}

Napi::Value WatchIndex::IdList(const Napi::CallbackInfo& info) {
  return QueueIds(info.Env(), this, info.This().As<Napi::Object>());
}

Napi::Value WatchIndex::Train(const Napi::CallbackInfo& info) {
  return QueueTrain(info.Env(), this, info.This().As<Napi::Object>());
}

Napi::Value WatchIndex::Compact(const Napi::CallbackInfo& info) {
  return QueueCompact(info.Env(), this, info.This().As<Napi::Object>());
}

Napi::Value WatchIndex::SerializeBytes(const Napi::CallbackInfo& info) {
  return QueueSerialize(info.Env(), this, info.This().As<Napi::Object>());
}

Napi::Value WatchIndex::Load(const Napi::CallbackInfo& info) {
  return QueueLoad(info.Env(), this, info.This().As<Napi::Object>(), info[0]);
}

Napi::Value WatchIndex::GetSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sizeMirror.load()));
}
Napi::Value WatchIndex::GetTombstones(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(tombstoneMirror.load()));
}
Napi::Value WatchIndex::GetTrained(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), trainedMirror.load());
}
Napi::Value WatchIndex::GetDim(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), opts.dim); }
Napi::Value WatchIndex::GetKind(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), KindName(opts.kind));
}

}  // namespace index
}  // namespace livefr

#endif  // LIVEFR_WITH_FAISS
