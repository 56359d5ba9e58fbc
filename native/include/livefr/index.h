// Watchlist index: vector stores on FAISS (exact flat, HNSW, IVF) behind one
// interface, and the N-API class that runs them in AsyncWorkers under a
// readers-writer lock. See docs/watchlist.md for the design.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "livefr/errors.h"

namespace livefr {
namespace index {

using Id = int64_t;  // same layout as faiss::Index::idx_t and BigInt64Array

enum class Kind : uint32_t { kFlat = 0, kHnsw = 1, kIvf = 2 };

struct IndexOptions {
  Kind kind = Kind::kFlat;
  int dim = 0;
  int hnswM = 32;
  int hnswEfConstruction = 80;
  int hnswEfSearch = 64;
  int ivfNlist = 64;
  int ivfNprobe = 8;
};

// Errors raised inside Run() are livefr::Failure (livefr/errors.h):
// RangeFailure, FormatFailure, StateFailure.

// One kind of FAISS index holding unit vectors under 64-bit external ids.
// Not thread-safe by itself: WatchIndex guards it with a shared_mutex
// (const methods may run concurrently with each other only).
class Store {
 public:
  virtual ~Store() = default;
  virtual Kind kind() const = 0;
  // Live (searchable) vectors.
  virtual size_t size() const = 0;
  // ids are new (the caller checks); x is n*dim floats.
  virtual void Add(size_t n, const float* x, const Id* ids) = 0;
  // Removes the ids that exist; returns how many were removed.
  virtual size_t Remove(size_t n, const Id* ids) = 0;
  // Approximate (or exact for flat) search. Missing results: id -1.
  virtual void Search(size_t n, const float* q, size_t k, float* scores, Id* ids) const = 0;
  // Exact search over the same live vectors (ground truth for recall).
  virtual void SearchExact(size_t n, const float* q, size_t k, float* scores, Id* ids) const = 0;
  // The ids of every live vector.
  virtual void Ids(std::vector<Id>* ids) const = 0;
  // Copies every live vector and its id.
  virtual void Snapshot(std::vector<Id>* ids, std::vector<float>* x) const = 0;
  // Appends the FAISS index bytes (and any bookkeeping) to out.
  virtual void Write(std::vector<uint8_t>* out) const = 0;
  // Entries kept for navigation but no longer searchable (HNSW only).
  virtual size_t tombstones() const { return 0; }
  // Rebuilds without tombstones (HNSW only); returns how many were dropped.
  virtual size_t Compact() { return 0; }
};

// Creates an empty store (for ivf: an exact staging store until Train()).
std::unique_ptr<Store> MakeStore(const IndexOptions& o);
// Trains an IVF store on the vectors of `staging` and moves them in.
std::unique_ptr<Store> TrainIvf(const IndexOptions& o, const Store& staging);
// Serialises a store: a small header then the store's bytes.
std::vector<uint8_t> Serialize(const Store& s, const IndexOptions& o);
// Parses bytes made by Serialize; throws FormatFailure on any mismatch.
std::unique_ptr<Store> Deserialize(const uint8_t* data, size_t size, const IndexOptions& o);

// Facts about what was compiled, for buildInfo()-style reporting.
const char* FaissVersion();
bool HasGpuStore();

}  // namespace index
}  // namespace livefr
