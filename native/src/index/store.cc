// The three FAISS-backed stores of the watchlist: exact (IndexFlatIP in an
// IndexIDMap2), HNSW (IndexHNSWFlat with its own id table and tombstones,
// because FAISS HNSW cannot remove) and IVF (IndexIVFFlat, which stores
// 64-bit ids in its inverted lists and removes natively).
// All use inner product: the vectors are L2-normalised, so scores are cosines.
#if defined(LIVEFR_WITH_FAISS)
#include "livefr/index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "validate.h"

namespace livefr {
namespace index {

namespace {

using faiss_idx = faiss::Index::idx_t;
static_assert(sizeof(faiss_idx) == sizeof(Id), "FAISS ids must be 64-bit");

void AppendIndexBytes(const faiss::Index* idx, std::vector<uint8_t>* out) {
  faiss::VectorIOWriter w;
  faiss::write_index(idx, &w);
  out->insert(out->end(), w.data.begin(), w.data.end());
}

// Keeps only entries whose internal (sequential) number is not a tombstone.
struct LiveSelector : faiss::IDSelector {
  const std::vector<uint8_t>* dead;
  explicit LiveSelector(const std::vector<uint8_t>* d) : dead(d) {}
  bool is_member(idx_t i) const override {
    return i >= 0 && static_cast<size_t>(i) < dead->size() && (*dead)[static_cast<size_t>(i)] == 0;
  }
};

// ---------------------------------------------------------------- flat ----
class FlatStore final : public Store {
 public:
  explicit FlatStore(int dim) {
    map_.reset(new faiss::IndexIDMap2(new faiss::IndexFlatIP(dim)));
    map_->own_fields = true;
  }
  explicit FlatStore(faiss::IndexIDMap2* adopted) : map_(adopted) {}

  Kind kind() const override { return Kind::kFlat; }
  size_t size() const override { return static_cast<size_t>(map_->ntotal); }

  void Add(size_t n, const float* x, const Id* ids) override {
    map_->add_with_ids(static_cast<faiss_idx>(n), x, ids);
  }
  size_t Remove(size_t n, const Id* ids) override {
    faiss::IDSelectorBatch sel(n, ids);
    return map_->remove_ids(sel);
  }
  void Search(size_t n, const float* q, size_t k, float* scores, Id* ids) const override {
    map_->search(static_cast<faiss_idx>(n), q, static_cast<faiss_idx>(k), scores, ids);
  }
  void SearchExact(size_t n, const float* q, size_t k, float* scores, Id* ids) const override {
    Search(n, q, k, scores, ids);
  }
  void Ids(std::vector<Id>* ids) const override { ids->assign(map_->id_map.begin(), map_->id_map.end()); }
  void Snapshot(std::vector<Id>* ids, std::vector<float>* x) const override {
    Ids(ids);
    const auto* flat = static_cast<const faiss::IndexFlat*>(map_->index);
    x->assign(flat->get_xb(), flat->get_xb() + static_cast<size_t>(flat->ntotal) * flat->d);
  }
  void Write(std::vector<uint8_t>* out) const override { AppendIndexBytes(map_.get(), out); }

 private:
  std::unique_ptr<faiss::IndexIDMap2> map_;
};

// ---------------------------------------------------------------- hnsw ----
// FAISS HNSW cannot remove a node. Removed entries become tombstones: they
// stay in the graph (as waypoints) but a selector keeps them out of every
// result, exact or approximate. When tombstones outnumber live entries the
// graph is rebuilt from the live vectors (Compact), which frees the memory.
class HnswStore final : public Store {
 public:
  HnswStore(const IndexOptions& o) : opts_(o) { Reset(); }
  HnswStore(const IndexOptions& o, faiss::IndexHNSWFlat* adopted, std::vector<Id> labels,
            std::vector<uint8_t> dead)
      : opts_(o), hnsw_(adopted), labels_(std::move(labels)), dead_(std::move(dead)) {
    for (size_t i = 0; i < labels_.size(); i++) {
      if (dead_[i]) {
        ndead_++;
      } else {
        rev_[labels_[i]] = static_cast<int64_t>(i);
      }
    }
  }

  Kind kind() const override { return Kind::kHnsw; }
  size_t size() const override { return labels_.size() - ndead_; }
  size_t tombstones() const override { return ndead_; }

  void Add(size_t n, const float* x, const Id* ids) override {
    size_t base = labels_.size();
    hnsw_->add(static_cast<faiss_idx>(n), x);
    labels_.insert(labels_.end(), ids, ids + n);
    dead_.resize(labels_.size(), 0);
    for (size_t i = 0; i < n; i++) rev_[ids[i]] = static_cast<int64_t>(base + i);
  }

  size_t Remove(size_t n, const Id* ids) override {
    size_t removed = 0;
    for (size_t i = 0; i < n; i++) {
      auto it = rev_.find(ids[i]);
      if (it == rev_.end()) continue;
      dead_[static_cast<size_t>(it->second)] = 1;
      rev_.erase(it);
      ndead_++;
      removed++;
    }
    if (ndead_ > 0 && ndead_ * 2 > labels_.size()) Compact();
    return removed;
  }

  void Search(size_t n, const float* q, size_t k, float* scores, Id* ids) const override {
    LiveSelector sel(&dead_);
    faiss::SearchParametersHNSW p;
    p.efSearch = std::max<int>(opts_.hnswEfSearch, static_cast<int>(k));
    p.sel = ndead_ ? &sel : nullptr;
    hnsw_->search(static_cast<faiss_idx>(n), q, static_cast<faiss_idx>(k), scores, ids, &p);
    Translate(n * k, ids);
  }

  void SearchExact(size_t n, const float* q, size_t k, float* scores, Id* ids) const override {
    LiveSelector sel(&dead_);
    faiss::SearchParameters p;
    p.sel = ndead_ ? &sel : nullptr;
    hnsw_->storage->search(static_cast<faiss_idx>(n), q, static_cast<faiss_idx>(k), scores, ids, &p);
    Translate(n * k, ids);
  }

  void Ids(std::vector<Id>* ids) const override {
    ids->clear();
    ids->reserve(size());
    for (size_t i = 0; i < labels_.size(); i++) {
      if (!dead_[i]) ids->push_back(labels_[i]);
    }
  }

  void Snapshot(std::vector<Id>* ids, std::vector<float>* x) const override {
    const size_t d = static_cast<size_t>(opts_.dim);
    const float* xb = static_cast<const faiss::IndexFlat*>(hnsw_->storage)->get_xb();
    Ids(ids);
    x->clear();
    x->reserve(size() * d);
    for (size_t i = 0; i < labels_.size(); i++) {
      if (!dead_[i]) x->insert(x->end(), xb + i * d, xb + (i + 1) * d);
    }
  }

  size_t Compact() override {
    if (ndead_ == 0) return 0;
    std::vector<Id> ids;
    std::vector<float> x;
    Snapshot(&ids, &x);
    size_t dropped = ndead_;
    Reset();
    if (!ids.empty()) Add(ids.size(), x.data(), ids.data());
    return dropped;
  }

  // Layout: u64 count, count x i64 labels, count x u8 tombstone flags, FAISS bytes.
  void Write(std::vector<uint8_t>* out) const override {
    uint64_t count = labels_.size();
    const auto* c = reinterpret_cast<const uint8_t*>(&count);
    out->insert(out->end(), c, c + sizeof(count));
    const auto* l = reinterpret_cast<const uint8_t*>(labels_.data());
    out->insert(out->end(), l, l + count * sizeof(Id));
    out->insert(out->end(), dead_.begin(), dead_.end());
    AppendIndexBytes(hnsw_.get(), out);
  }

 private:
  void Reset() {
    hnsw_.reset(new faiss::IndexHNSWFlat(opts_.dim, opts_.hnswM, faiss::METRIC_INNER_PRODUCT));
    hnsw_->hnsw.efConstruction = opts_.hnswEfConstruction;
    hnsw_->hnsw.efSearch = opts_.hnswEfSearch;
    labels_.clear();
    dead_.clear();
    rev_.clear();
    ndead_ = 0;
  }
  void Translate(size_t count, Id* ids) const {
    for (size_t i = 0; i < count; i++) {
      Id v = ids[i];
      ids[i] = (v >= 0 && static_cast<size_t>(v) < labels_.size() && !dead_[static_cast<size_t>(v)])
                   ? labels_[static_cast<size_t>(v)]
                   : -1;
    }
  }

  IndexOptions opts_;
  std::unique_ptr<faiss::IndexHNSWFlat> hnsw_;
  std::vector<Id> labels_;        // internal number -> external id
  std::vector<uint8_t> dead_;     // internal number -> tombstone flag
  std::unordered_map<Id, int64_t> rev_;  // live external id -> internal number
  size_t ndead_ = 0;
};

// ----------------------------------------------------------------- ivf ----
class IvfStore final : public Store {
 public:
  IvfStore(const IndexOptions& o, faiss::IndexIVFFlat* adopted) : opts_(o), ivf_(adopted) {}

  Kind kind() const override { return Kind::kIvf; }
  size_t size() const override { return static_cast<size_t>(ivf_->ntotal); }

  void Add(size_t n, const float* x, const Id* ids) override {
    ivf_->add_with_ids(static_cast<faiss_idx>(n), x, ids);
  }
  size_t Remove(size_t n, const Id* ids) override {
    faiss::IDSelectorBatch sel(n, ids);
    return ivf_->remove_ids(sel);
  }
  void Search(size_t n, const float* q, size_t k, float* scores, Id* ids) const override {
    Probe(std::min<size_t>(static_cast<size_t>(opts_.ivfNprobe), ivf_->nlist), n, q, k, scores, ids);
  }
  // Probing every list is an exact scan of the same vectors.
  void SearchExact(size_t n, const float* q, size_t k, float* scores, Id* ids) const override {
    Probe(ivf_->nlist, n, q, k, scores, ids);
  }
  void Ids(std::vector<Id>* ids) const override {
    ids->clear();
    const faiss::InvertedLists* il = ivf_->invlists;
    for (size_t l = 0; l < il->nlist; l++) {
      faiss::InvertedLists::ScopedIds li(il, l);
      ids->insert(ids->end(), li.get(), li.get() + il->list_size(l));
    }
  }
  void Snapshot(std::vector<Id>* ids, std::vector<float>* x) const override {
    Ids(ids);
    x->clear();
    const faiss::InvertedLists* il = ivf_->invlists;
    for (size_t l = 0; l < il->nlist; l++) {
      faiss::InvertedLists::ScopedCodes codes(il, l);
      const auto* f = reinterpret_cast<const float*>(codes.get());
      x->insert(x->end(), f, f + il->list_size(l) * static_cast<size_t>(opts_.dim));
    }
  }
  void Write(std::vector<uint8_t>* out) const override { AppendIndexBytes(ivf_.get(), out); }

 private:
  void Probe(size_t nprobe, size_t n, const float* q, size_t k, float* scores, Id* ids) const {
    faiss::SearchParametersIVF p;
    p.nprobe = nprobe;
    ivf_->search(static_cast<faiss_idx>(n), q, static_cast<faiss_idx>(k), scores, ids, &p);
  }
  IndexOptions opts_;
  std::unique_ptr<faiss::IndexIVFFlat> ivf_;
};

}  // namespace

// A GPU build (LIVEFR_FAISS_GPU, CUDA FAISS) would return its GPU store here
// (GpuIndexFlatIP with an id table); this CPU build has none.
std::unique_ptr<Store> MakeStore(const IndexOptions& o) {
  if (o.kind == Kind::kHnsw) return std::unique_ptr<Store>(new HnswStore(o));
  // ivf starts as an exact staging store until it is trained.
  return std::unique_ptr<Store>(new FlatStore(o.dim));
}

std::unique_ptr<Store> TrainIvf(const IndexOptions& o, const Store& staging) {
  std::vector<Id> ids;
  std::vector<float> x;
  staging.Snapshot(&ids, &x);
  if (ids.size() < static_cast<size_t>(o.ivfNlist)) {
    throw RangeFailure("an ivf index with nlist=" + std::to_string(o.ivfNlist) + " needs at least " +
                       std::to_string(o.ivfNlist) + " stored vectors to train, but has " +
                       std::to_string(ids.size()) + "; add more templates or choose a smaller ivf.nlist",
                       "nlist");
  }
  auto* quantizer = new faiss::IndexFlatIP(o.dim);
  std::unique_ptr<faiss::IndexIVFFlat> ivf(
      new faiss::IndexIVFFlat(quantizer, o.dim, static_cast<size_t>(o.ivfNlist), faiss::METRIC_INNER_PRODUCT));
  ivf->own_fields = true;
  ivf->cp.min_points_per_centroid = 1;  // we checked the minimum ourselves; no stderr warnings
  ivf->cp.seed = 1234;                  // deterministic clustering
  ivf->train(static_cast<faiss_idx>(ids.size()), x.data());
  ivf->add_with_ids(static_cast<faiss_idx>(ids.size()), x.data(), ids.data());
  return std::unique_ptr<Store>(new IvfStore(o, ivf.release()));
}

// ------------------------------------------------------- serialisation ----
namespace {

constexpr char kMagic[4] = {'L', 'F', 'I', 'X'};
constexpr uint32_t kVersion = 1;

struct SpanReader : faiss::IOReader {
  const uint8_t* p;
  size_t n;
  size_t pos = 0;
  SpanReader(const uint8_t* data, size_t size) : p(data), n(size) {}
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0) return 0;
    size_t items = std::min(nitems, (n - pos) / size);
    std::memcpy(ptr, p + pos, items * size);
    pos += items * size;
    return items;
  }
};

template <typename T>
T ReadPod(const uint8_t* data, size_t size, size_t* pos, const char* what) {
  if (size - *pos < sizeof(T)) throw FormatFailure(std::string("index bytes end inside ") + what);
  T v;
  std::memcpy(&v, data + *pos, sizeof(T));
  *pos += sizeof(T);
  return v;
}

template <typename T>
std::unique_ptr<T> ReadFaiss(const uint8_t* data, size_t size, const char* expected) {
  SpanReader r(data, size);
  std::unique_ptr<faiss::Index> idx(faiss::read_index(&r));
  if (r.pos != r.n) throw FormatFailure("trailing bytes after the FAISS index");
  T* typed = dynamic_cast<T*>(idx.get());
  if (!typed) throw FormatFailure(std::string("the FAISS index is not ") + expected);
  idx.release();
  return std::unique_ptr<T>(typed);
}

}  // namespace

std::vector<uint8_t> Serialize(const Store& s, const IndexOptions& o) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  uint32_t header[3] = {kVersion, static_cast<uint32_t>(s.kind()), static_cast<uint32_t>(o.dim)};
  const auto* h = reinterpret_cast<const uint8_t*>(header);
  out.insert(out.end(), h, h + sizeof(header));
  s.Write(&out);
  return out;
}

std::unique_ptr<Store> Deserialize(const uint8_t* data, size_t size, const IndexOptions& o) {
  size_t pos = 0;
  if (size < 16 || std::memcmp(data, kMagic, 4) != 0) throw FormatFailure("index bytes do not start with LFIX");
  pos = 4;
  uint32_t version = ReadPod<uint32_t>(data, size, &pos, "the header");
  uint32_t kind = ReadPod<uint32_t>(data, size, &pos, "the header");
  uint32_t dim = ReadPod<uint32_t>(data, size, &pos, "the header");
  if (version != kVersion) throw FormatFailure("index format version " + std::to_string(version) + " is not supported");
  if (dim != static_cast<uint32_t>(o.dim)) {
    throw FormatFailure("index dimension " + std::to_string(dim) + " differs from " + std::to_string(o.dim));
  }
  const uint8_t* rest = data + pos;
  const size_t restSize = size - pos;
  if (kind == static_cast<uint32_t>(Kind::kFlat) && o.kind != Kind::kHnsw) {
    // A flat store: the exact index, or an ivf index still staging before training.
    CheckFaissBytes(rest, restSize, Kind::kFlat, o);
    auto map = ReadFaiss<faiss::IndexIDMap2>(rest, restSize, "an IndexIDMap2");
    auto* inner = dynamic_cast<faiss::IndexFlat*>(map->index);
    if (!inner || inner->metric_type != faiss::METRIC_INNER_PRODUCT || map->d != o.dim) {
      throw FormatFailure("the FAISS index is not an inner-product flat index of dimension " + std::to_string(o.dim));
    }
    map->check_consistency();
    CheckUnitVectors(inner->get_xb(), static_cast<size_t>(inner->ntotal), o.dim, "flat index");
    return std::unique_ptr<Store>(new FlatStore(map.release()));
  }
  if (kind == static_cast<uint32_t>(Kind::kHnsw) && o.kind == Kind::kHnsw) {
    size_t p = 0;
    uint64_t count = ReadPod<uint64_t>(rest, restSize, &p, "the HNSW labels");
    if (count > (restSize - p) / (sizeof(Id) + 1)) throw FormatFailure("index bytes end inside the HNSW labels");
    std::vector<Id> labels(count);
    std::memcpy(labels.data(), rest + p, count * sizeof(Id));
    p += count * sizeof(Id);
    std::vector<uint8_t> dead(rest + p, rest + p + count);
    p += count;
    for (uint8_t f : dead) {
      if (f > 1) throw FormatFailure("bad HNSW tombstone flag");
    }
    // The graph is input from disk: its structure is checked before FAISS
    // reads it (sizes) and before the first search (ids, levels, entry point).
    CheckFaissBytes(rest + p, restSize - p, Kind::kHnsw, o);
    auto hnsw = ReadFaiss<faiss::IndexHNSWFlat>(rest + p, restSize - p, "an IndexHNSWFlat");
    if (hnsw->metric_type != faiss::METRIC_INNER_PRODUCT || hnsw->d != o.dim ||
        static_cast<uint64_t>(hnsw->ntotal) != count) {
      throw FormatFailure("the HNSW index does not match its labels, metric or dimension");
    }
    CheckHnswGraph(hnsw.get(), o);
    return std::unique_ptr<Store>(new HnswStore(o, hnsw.release(), std::move(labels), std::move(dead)));
  }
  if (kind == static_cast<uint32_t>(Kind::kIvf) && o.kind == Kind::kIvf) {
    CheckFaissBytes(rest, restSize, Kind::kIvf, o);
    auto ivf = ReadFaiss<faiss::IndexIVFFlat>(rest, restSize, "an IndexIVFFlat");
    if (ivf->metric_type != faiss::METRIC_INNER_PRODUCT || ivf->d != o.dim || !ivf->is_trained ||
        ivf->nlist != static_cast<size_t>(o.ivfNlist)) {
      throw FormatFailure("the IVF index does not match its metric, dimension or nlist");
    }
    CheckIvf(*ivf, o);
    return std::unique_ptr<Store>(new IvfStore(o, ivf.release()));
  }
  throw FormatFailure("index kind " + std::to_string(kind) + " does not match the watchlist options");
}

const char* FaissVersion() {
  static const std::string v = std::to_string(FAISS_VERSION_MAJOR) + "." + std::to_string(FAISS_VERSION_MINOR) +
                               "." + std::to_string(FAISS_VERSION_PATCH);
  return v.c_str();
}

// No GPU store exists (see MakeStore), whatever FAISS was linked: report that.
bool HasGpuStore() { return false; }

}  // namespace index
}  // namespace livefr

#endif  // LIVEFR_WITH_FAISS
