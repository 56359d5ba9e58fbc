// AsyncWorkers of the watchlist index. Each parses its JS arguments on the
// main thread into a plain baton (pointers into typed arrays it keeps alive
// with references), runs FAISS in Execute() under the index's
// readers-writer lock without touching N-API, and settles a promise.
// The worker also holds a reference to the JS WatchIndex, so the native
// object cannot be collected while a worker uses it.
#if defined(LIVEFR_WITH_FAISS)
#include <faiss/impl/FaissException.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "livefr/common.h"
#include "livefr/worker.h"
#include "watch_index.h"

namespace livefr {
namespace index {

namespace {

// The index's workers: a PromiseWorker that keeps the JS WatchIndex alive,
// reports FAISS exceptions with a "FAISS:" prefix, and chooses how many
// OpenMP threads FAISS may use.
class IndexWorker : public PromiseWorker {
 public:
  IndexWorker(Napi::Env env, WatchIndex* index, Napi::Object thisObj)
      : PromiseWorker(env, "livefr:watchindex"), index_(index) {
    Keep(thisObj);
  }

 protected:
  virtual void RunIndex() = 0;
  // OpenMP threads FAISS may use for this job. Small jobs run on their libuv
  // thread alone: the pool already runs several of them at once, and an
  // OpenMP team per single query only adds oversubscription and spinning.
  void UseAllCores(bool all) { allCores_ = all; }

  WatchIndex* index_;

 private:
  void Run() final {
#if defined(_OPENMP)
    omp_set_num_threads(allCores_ ? omp_get_num_procs() : 1);  // this thread's setting only
#endif
    try {
      RunIndex();
    } catch (const faiss::FaissException& e) {
      throw Failure(UnexpectedKind(), "", std::string("FAISS: ") + e.msg);
    }
  }

  bool allCores_ = true;
};

const float* CheckedVectors(Napi::Env env, const Napi::Value& v, const char* param, int dim, size_t* rows) {
  size_t count = 0;
  float* data = GetFloats(env, v, param, &count);
  if (count == 0 || count % static_cast<size_t>(dim) != 0) {
    ThrowRange(env, param, "a Float32Array whose length is a positive multiple of " + std::to_string(dim));
  }
  *rows = count / static_cast<size_t>(dim);
  return data;
}

// ----------------------------------------------------------------- add ----
class AddWorker final : public IndexWorker {
 public:
  AddWorker(Napi::Env env, WatchIndex* index, Napi::Object thisObj, const Napi::Value& ids, const Napi::Value& vectors)
      : IndexWorker(env, index, thisObj) {
    ids_ = ReadIds(env, ids, "ids");
    x_ = CheckedVectors(env, vectors, "vectors", index->opts.dim, &n_);
    if (ids_.count != n_) {
      ThrowRange(env, "ids", std::to_string(n_) + " ids (one per vector), got " + std::to_string(ids_.count));
    }
    UseAllCores(n_ >= 64);
    Keep(ids);
    Keep(vectors);
  }

 private:
  void RunIndex() override {
    std::unique_lock<std::shared_mutex> lock(index_->mu);
    std::unordered_set<Id> batch;
    batch.reserve(n_);
    for (size_t i = 0; i < n_; i++) {
      Id id = ids_.data()[i];
      if (id < 0) throw RangeFailure("ids must be >= 0 (got " + std::to_string(id) + ")", "ids");
      if (index_->live.count(id) || !batch.insert(id).second) {
        throw RangeFailure("id " + std::to_string(id) + " is already in the index (ids)", "ids");
      }
    }
    index_->store->Add(n_, x_, ids_.data());
    index_->live.insert(batch.begin(), batch.end());
    index_->Mirror();
  }

  IdInput ids_;
  const float* x_ = nullptr;
  size_t n_ = 0;
};

// -------------------------------------------------------------- remove ----
class RemoveWorker final : public IndexWorker {
 public:
  RemoveWorker(Napi::Env env, WatchIndex* index, Napi::Object thisObj, const Napi::Value& ids)
      : IndexWorker(env, index, thisObj) {
    ids_ = ReadIds(env, ids, "ids");
    Keep(ids);
  }

 private:
  void RunIndex() override {
    std::unique_lock<std::shared_mutex> lock(index_->mu);
    std::vector<Id> present;
    for (size_t i = 0; i < ids_.count; i++) {
      if (index_->live.erase(ids_.data()[i])) present.push_back(ids_.data()[i]);
    }
    if (!present.empty()) removed_ = index_->store->Remove(present.size(), present.data());
    index_->Mirror();
  }
  Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, static_cast<double>(removed_)); }

  IdInput ids_;
  size_t removed_ = 0;
};

// -------------------------------------------------------------- search ----
class SearchWorker final : public IndexWorker {
 public:
  SearchWorker(Napi::Env env, WatchIndex* index, Napi::Object thisObj, const Napi::Value& queries, size_t k,
               bool exact)
      : IndexWorker(env, index, thisObj), k_(k), exact_(exact) {
    q_ = CheckedVectors(env, queries, "queries", index->opts.dim, &n_);
    if (n_ * k_ > (size_t{1} << 28)) ThrowRange(env, "k", "queries x k <= 2^28 results");
    UseAllCores(n_ >= 4);
    Napi::Float32Array scores = Napi::Float32Array::New(env, n_ * k_);
    Napi::BigInt64Array ids = Napi::BigInt64Array::New(env, n_ * k_);
    scores_ = scores.Data();
    ids_ = ids.Data();
    scoresRef_ = Napi::Persistent(scores);
    idsRef_ = Napi::Persistent(ids);
    Keep(queries);
  }

 private:
  void RunIndex() override {
    std::shared_lock<std::shared_mutex> lock(index_->mu);
    const size_t total = n_ * k_;
    if (index_->store->size() == 0) {
      std::fill(ids_, ids_ + total, Id{-1});
    } else if (exact_) {
      index_->store->SearchExact(n_, q_, k_, scores_, ids_);
    } else {
      index_->store->Search(n_, q_, k_, scores_, ids_);
    }
    for (size_t i = 0; i < total; i++) {
      if (ids_[i] < 0) scores_[i] = -INFINITY;
    }
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("scores", scoresRef_.Value());
    o.Set("ids", idsRef_.Value());
    return o;
  }

  const float* q_ = nullptr;
  size_t n_ = 0;
  size_t k_;
  bool exact_;
  // Outputs are allocated on the JS thread and filled in place by FAISS.
  Napi::Reference<Napi::Float32Array> scoresRef_;
  Napi::Reference<Napi::BigInt64Array> idsRef_;
  float* scores_ = nullptr;
  Id* ids_ = nullptr;
};

// ------------------------------------------------------------- vectors ----
class VectorsWorker final : public IndexWorker {
 public:
  VectorsWorker(Napi::Env env, WatchIndex* index, Napi::Object thisObj, const Napi::Value& ids)
      : IndexWorker(env, index, thisObj) {
    ids_ = ReadIds(env, ids, "ids");
    Napi::Float32Array out = Napi::Float32Array::New(env, ids_.count * static_cast<size_t>(index->opts.dim));
    out_ = out.Data();
    outRef_ = Napi::Persistent(out);
    Keep(ids);
  }

 private:
  void RunIndex() override {
    std::shared_lock<std::shared_mutex> lock(index_->mu);
    std::vector<Id> all;
    std::vector<float> x;
    index_->store->Snapshot(&all, &x);
    std::unordered_map<Id, size_t> row;
    row.reserve(all.size());
    for (size_t i = 0; i < all.size(); i++) row[all[i]] = i;
    const size_t d = static_cast<size_t>(index_->opts.dim);
    for (size_t i = 0; i < ids_.count; i++) {
      auto it = row.find(ids_.data()[i]);
      if (it == row.end()) throw RangeFailure("id " + std::to_string(ids_.data()[i]) + " is not in the index (ids)", "ids");
      std::memcpy(out_ + i * d, x.data() + it->second * d, d * sizeof(float));
    }
  }
  Napi::Value Result(Napi::Env env) override { return outRef_.Value(); }

  IdInput ids_;
  Napi::Reference<Napi::Float32Array> outRef_;
  float* out_ = nullptr;
};

// ----------------------------------------------------------------- ids ----
class IdsWorker final : public IndexWorker {
 public:
  using IndexWorker::IndexWorker;

 private:
  void RunIndex() override {
    std::shared_lock<std::shared_mutex> lock(index_->mu);
    index_->store->Ids(&ids_);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::BigInt64Array out = Napi::BigInt64Array::New(env, ids_.size());
    if (!ids_.empty()) std::memcpy(out.Data(), ids_.data(), ids_.size() * sizeof(Id));
    return out;
  }
  std::vector<Id> ids_;
};

// ---------------------------------------------------- train / compact ----
class TrainWorker final : public IndexWorker {
 public:
  using IndexWorker::IndexWorker;

 private:
  void RunIndex() override {
    std::unique_lock<std::shared_mutex> lock(index_->mu);
    if (index_->opts.kind != Kind::kIvf) throw StateFailure("only an ivf index is trained");
    if (index_->store->kind() == Kind::kIvf) return;  // already trained
    index_->store = TrainIvf(index_->opts, *index_->store);
    index_->Mirror();
  }
};

class CompactWorker final : public IndexWorker {
 public:
  using IndexWorker::IndexWorker;

 private:
  void RunIndex() override {
    std::unique_lock<std::shared_mutex> lock(index_->mu);
    dropped_ = index_->store->Compact();
    index_->Mirror();
  }
  Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, static_cast<double>(dropped_)); }
  size_t dropped_ = 0;
};

// ------------------------------------------------------ serialize / load ----
class SerializeWorker final : public IndexWorker {
 public:
  using IndexWorker::IndexWorker;

 private:
  void RunIndex() override {
    std::shared_lock<std::shared_mutex> lock(index_->mu);
    bytes_.reset(new std::vector<uint8_t>(Serialize(*index_->store, index_->opts)));
  }
  Napi::Value Result(Napi::Env env) override {
    // Hands the bytes to JS without a copy where the runtime allows external
    // buffers (Node does; sandboxed runtimes get a copy); the finaliser frees them.
    std::vector<uint8_t>* v = bytes_.release();
    return Napi::Buffer<uint8_t>::NewOrCopy(env, v->data(), v->size(),
                                            [](Napi::Env, uint8_t*, std::vector<uint8_t>* hint) { delete hint; }, v);
  }
  std::unique_ptr<std::vector<uint8_t>> bytes_;
};

class LoadWorker final : public IndexWorker {
 public:
  LoadWorker(Napi::Env env, WatchIndex* index, Napi::Object thisObj, const Napi::Value& bytes)
      : IndexWorker(env, index, thisObj) {
    view_ = GetBytes(env, bytes, "bytes");
    Keep(bytes);
  }

 private:
  ErrorKind UnexpectedKind() const override { return ErrorKind::kFormat; }
  void RunIndex() override {
    std::unique_ptr<Store> loaded = Deserialize(view_.data, view_.length, index_->opts);
    std::vector<Id> ids;
    loaded->Ids(&ids);
    std::unordered_set<Id> live(ids.begin(), ids.end());
    if (live.size() != ids.size()) throw FormatFailure("the index holds duplicate ids");
    std::unique_lock<std::shared_mutex> lock(index_->mu);
    if (!index_->live.empty()) throw StateFailure("load() needs an empty index");
    index_->store = std::move(loaded);
    index_->live = std::move(live);
    index_->Mirror();
  }
  ByteView view_;
};

}  // namespace

Napi::Value QueueAdd(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& ids,
                     const Napi::Value& vectors) {
  return (new AddWorker(env, self, thisObj, ids, vectors))->Start();
}
Napi::Value QueueRemove(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& ids) {
  return (new RemoveWorker(env, self, thisObj, ids))->Start();
}
Napi::Value QueueSearch(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& queries,
                        size_t k, bool exact) {
  return (new SearchWorker(env, self, thisObj, queries, k, exact))->Start();
}
Napi::Value QueueVectors(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& ids) {
  return (new VectorsWorker(env, self, thisObj, ids))->Start();
}
Napi::Value QueueIds(Napi::Env env, WatchIndex* self, Napi::Object thisObj) {
  return (new IdsWorker(env, self, thisObj))->Start();
}
Napi::Value QueueTrain(Napi::Env env, WatchIndex* self, Napi::Object thisObj) {
  return (new TrainWorker(env, self, thisObj))->Start();
}
Napi::Value QueueCompact(Napi::Env env, WatchIndex* self, Napi::Object thisObj) {
  return (new CompactWorker(env, self, thisObj))->Start();
}
Napi::Value QueueSerialize(Napi::Env env, WatchIndex* self, Napi::Object thisObj) {
  return (new SerializeWorker(env, self, thisObj))->Start();
}
Napi::Value QueueLoad(Napi::Env env, WatchIndex* self, Napi::Object thisObj, const Napi::Value& bytes) {
  return (new LoadWorker(env, self, thisObj, bytes))->Start();
}

}  // namespace index
}  // namespace livefr

#endif  // LIVEFR_WITH_FAISS
