// Validation of index bytes from a watchlist file (see validate.h).
#if defined(LIVEFR_WITH_FAISS)
#include "validate.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/HNSW.h>
#include <faiss/invlists/DirectMap.h>
#include <faiss/invlists/InvertedLists.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <string>

namespace livefr {
namespace index {

namespace {

// ------------------------------------------------------ the byte walk ----
// Mirrors FAISS 1.7's index_read.cpp for the structures livefr writes.
class Walker {
 public:
  Walker(const uint8_t* data, size_t size) : p_(data), n_(size) {}

  template <typename T>
  T Pod(const char* what) {
    if (n_ - pos_ < sizeof(T)) Fail(std::string("the index bytes end inside ") + what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  void Fourcc(const char* expected) {
    if (n_ - pos_ < 4 || std::memcmp(p_ + pos_, expected, 4) != 0) {
      Fail(std::string("expected a FAISS ") + expected + " structure");
    }
    pos_ += 4;
  }

  // A FAISS vector: u64 count then count elements. Returns the count after
  // checking that the elements fit in the bytes left.
  uint64_t Vector(size_t elem, const char* what) {
    const uint64_t count = Pod<uint64_t>(what);
    if (count > (n_ - pos_) / elem) Fail(std::string("the ") + what + " announce more bytes than the file holds");
    pos_ += static_cast<size_t>(count) * elem;
    return count;
  }

  void Skip(size_t bytes, const char* what) {
    if (n_ - pos_ < bytes) Fail(std::string("the index bytes end inside ") + what);
    pos_ += bytes;
  }

  size_t left() const { return n_ - pos_; }

  [[noreturn]] static void Fail(const std::string& why) { throw FormatFailure(why); }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

struct Header {
  int32_t d;
  int64_t ntotal;
};

// read_index_header: d, ntotal, two dummies, is_trained, metric (inner product: no metric_arg).
Header ReadHeader(Walker* w, const IndexOptions& o, const char* what) {
  Header h;
  h.d = w->Pod<int32_t>(what);
  h.ntotal = w->Pod<int64_t>(what);
  w->Skip(16 + 1, what);
  const int32_t metric = w->Pod<int32_t>(what);
  if (h.d != o.dim) Walker::Fail(std::string("the ") + what + " has dimension " + std::to_string(h.d) + ", not " + std::to_string(o.dim));
  if (h.ntotal < 0 || h.ntotal > INT32_MAX) Walker::Fail(std::string("the ") + what + " has an impossible entry count");
  if (metric != faiss::METRIC_INNER_PRODUCT) Walker::Fail(std::string("the ") + what + " is not an inner-product index");
  return h;
}

// IndexFlatIP: header, then the vectors (u64 count of floats, floats).
int64_t WalkFlat(Walker* w, const IndexOptions& o, const char* what) {
  w->Fourcc("IxFI");
  const Header h = ReadHeader(w, o, what);
  const uint64_t floats = w->Vector(sizeof(float), what);
  if (floats != static_cast<uint64_t>(h.ntotal) * static_cast<uint64_t>(o.dim)) {
    Walker::Fail(std::string("the ") + what + " holds " + std::to_string(floats) + " floats for " +
                 std::to_string(h.ntotal) + " vectors");
  }
  return h.ntotal;
}

void WalkIdMap(Walker* w, const IndexOptions& o) {
  w->Fourcc("IxM2");
  const Header h = ReadHeader(w, o, "id map");
  const int64_t inner = WalkFlat(w, o, "flat index");
  const uint64_t ids = w->Vector(sizeof(int64_t), "id map");
  if (inner != h.ntotal || ids != static_cast<uint64_t>(h.ntotal)) Walker::Fail("the id map and the flat index disagree on their size");
}

void WalkHnsw(Walker* w, const IndexOptions& o) {
  w->Fourcc("IHNf");
  const Header h = ReadHeader(w, o, "HNSW index");
  const uint64_t probas = w->Vector(sizeof(double), "HNSW level probabilities");
  const uint64_t cum = w->Vector(sizeof(int), "HNSW level table");
  const uint64_t levels = w->Vector(sizeof(int), "HNSW levels");
  const uint64_t offsets = w->Vector(sizeof(size_t), "HNSW offsets");
  w->Vector(sizeof(int), "HNSW neighbours");
  w->Skip(5 * sizeof(int), "the HNSW parameters");
  const uint64_t n = static_cast<uint64_t>(h.ntotal);
  if (probas > 64 || cum != probas + 1) Walker::Fail("the HNSW level table is malformed");
  if (levels != n || offsets != n + 1) Walker::Fail("the HNSW levels or offsets do not have one entry per node");
  if (WalkFlat(w, o, "HNSW storage") != h.ntotal) Walker::Fail("the HNSW graph and its storage disagree on their size");
}

void WalkIvf(Walker* w, const IndexOptions& o) {
  w->Fourcc("IwFl");
  const Header h = ReadHeader(w, o, "IVF index");
  const uint64_t nlist = w->Pod<uint64_t>("the IVF header");
  w->Pod<uint64_t>("the IVF header");  // nprobe (the watchlist's options decide)
  if (nlist != static_cast<uint64_t>(o.ivfNlist)) Walker::Fail("the IVF index has " + std::to_string(nlist) + " lists, not " + std::to_string(o.ivfNlist));
  if (WalkFlat(w, o, "IVF quantizer") != static_cast<int64_t>(nlist)) Walker::Fail("the IVF quantizer does not hold one centroid per list");
  // Direct map: type (a char), its array, and a hashtable only for type 2.
  if (w->Pod<char>("the IVF direct map") != 0 || w->Vector(sizeof(int64_t), "IVF direct map") != 0) {
    Walker::Fail("the IVF index has a direct map (livefr never writes one)");
  }
  w->Fourcc("ilar");
  const uint64_t lists = w->Pod<uint64_t>("the IVF lists");
  const uint64_t codeSize = w->Pod<uint64_t>("the IVF lists");
  if (lists != nlist || codeSize != static_cast<uint64_t>(o.dim) * sizeof(float)) Walker::Fail("the IVF lists do not match the index");
  // The list sizes, stored in full or as sparse (list, size) pairs.
  std::vector<uint64_t> sizes(static_cast<size_t>(nlist), 0);
  char type[4];
  for (char& c : type) c = w->Pod<char>("the IVF list sizes");
  if (std::memcmp(type, "full", 4) == 0) {
    const uint64_t count = w->Pod<uint64_t>("the IVF list sizes");
    if (count != nlist) Walker::Fail("the IVF list sizes do not cover every list");
    for (uint64_t l = 0; l < nlist; l++) sizes[l] = w->Pod<uint64_t>("the IVF list sizes");
  } else if (std::memcmp(type, "sprs", 4) == 0) {
    const uint64_t count = w->Pod<uint64_t>("the IVF list sizes");
    if (count % 2 != 0 || count / 2 > nlist) Walker::Fail("the sparse IVF list sizes are malformed");
    for (uint64_t j = 0; j < count; j += 2) {
      const uint64_t list = w->Pod<uint64_t>("the IVF list sizes");
      const uint64_t size = w->Pod<uint64_t>("the IVF list sizes");
      if (list >= nlist) Walker::Fail("a sparse IVF list size names a list that does not exist");
      sizes[list] = size;
    }
  } else {
    Walker::Fail("the IVF list sizes are of an unknown kind");
  }
  const uint64_t per = codeSize + sizeof(int64_t);
  uint64_t entries = 0;
  for (uint64_t s : sizes) {
    if (s > w->left() / per) Walker::Fail("an IVF list announces more entries than the file holds");
    w->Skip(static_cast<size_t>(s * per), "the IVF lists");
    entries += s;
  }
  if (entries != static_cast<uint64_t>(h.ntotal)) Walker::Fail("the IVF index size differs from the sum of its lists");
}

}  // namespace

void CheckFaissBytes(const uint8_t* data, size_t size, Kind kind, const IndexOptions& o) {
  Walker w(data, size);
  switch (kind) {
    case Kind::kFlat:
      WalkIdMap(&w, o);
      break;
    case Kind::kHnsw:
      WalkHnsw(&w, o);
      break;
    case Kind::kIvf:
      WalkIvf(&w, o);
      break;
  }
  if (w.left() != 0) Walker::Fail("trailing bytes after the FAISS index");
}

// ------------------------------------------------------- the HNSW graph ----
void CheckHnswGraph(faiss::IndexHNSWFlat* idx, const IndexOptions& o) {
  const auto fail = [](const std::string& why) { throw FormatFailure("the HNSW graph is invalid: " + why); };
  const auto* storage = dynamic_cast<const faiss::IndexFlat*>(idx->storage);
  if (!storage || storage->metric_type != faiss::METRIC_INNER_PRODUCT || storage->d != o.dim ||
      storage->ntotal != idx->ntotal) {
    fail("its storage is not an inner-product flat index of the same size and dimension");
  }
  CheckUnitVectors(storage->get_xb(), static_cast<size_t>(storage->ntotal), o.dim, "HNSW index");
  faiss::HNSW& g = idx->hnsw;
  const faiss::HNSW reference(o.hnswM);
  if (g.cum_nneighbor_per_level != reference.cum_nneighbor_per_level ||
      g.assign_probas.size() != reference.assign_probas.size()) {
    fail("its level table is not the one of M = " + std::to_string(o.hnswM));
  }
  g.assign_probas = reference.assign_probas;
  const std::vector<int>& cum = g.cum_nneighbor_per_level;
  const int topLevel = static_cast<int>(cum.size()) - 1;
  const size_t n = static_cast<size_t>(idx->ntotal);
  if (g.levels.size() != n || g.offsets.size() != n + 1 || g.offsets[0] != 0) fail("levels or offsets of the wrong size");
  int maxLevel = -1;
  for (size_t i = 0; i < n; i++) {
    const int l = g.levels[i];
    if (l < 1 || l > topLevel) fail("node " + std::to_string(i) + " has level " + std::to_string(l));
    if (g.offsets[i + 1] < g.offsets[i] || g.offsets[i + 1] - g.offsets[i] != static_cast<size_t>(cum[l])) {
      fail("the neighbour offsets of node " + std::to_string(i) + " do not match its level");
    }
    if (l - 1 > maxLevel) maxLevel = l - 1;
  }
  if (g.neighbors.size() != g.offsets[n]) fail("the neighbour table has the wrong size");
  for (size_t i = 0; i < n; i++) {
    for (int level = 0; level < g.levels[i]; level++) {
      size_t begin, end;
      g.neighbor_range(static_cast<faiss::HNSW::idx_t>(i), level, &begin, &end);
      for (size_t j = begin; j < end; j++) {
        const int v = g.neighbors[j];
        if (v == -1) continue;
        if (v < 0 || static_cast<size_t>(v) >= n || g.levels[static_cast<size_t>(v)] <= level) {
          fail("node " + std::to_string(i) + " links to " + std::to_string(v) + " at level " + std::to_string(level));
        }
      }
    }
  }
  if (n == 0) {
    if (g.entry_point != -1 || g.max_level != -1) fail("an empty graph has an entry point");
  } else if (g.entry_point < 0 || static_cast<size_t>(g.entry_point) >= n || g.max_level != maxLevel ||
             g.levels[static_cast<size_t>(g.entry_point)] - 1 != maxLevel) {
    fail("the entry point is not a node of the top level");
  }
  // Search behaviour comes from the watchlist's options, never from the file.
  g.efSearch = o.hnswEfSearch;
  g.efConstruction = o.hnswEfConstruction;
  g.upper_beam = 1;
  g.search_bounded_queue = true;
  g.check_relative_distance = true;
}

// ---------------------------------------------------------- the vectors ----
void CheckUnitVectors(const float* x, size_t n, int d, const char* what) {
  // The tolerance add() applies (1e-3 on the norm), plus float rounding.
  constexpr double kTolerance = 1.001e-3;
  for (size_t i = 0; i < n; i++) {
    double ss = 0;
    for (int j = 0; j < d; j++) {
      const double v = x[i * static_cast<size_t>(d) + static_cast<size_t>(j)];
      ss += v * v;
    }
    const double norm = std::sqrt(ss);
    if (!std::isfinite(norm) || std::fabs(norm - 1) > kTolerance) {
      throw FormatFailure(std::string("the ") + what + " holds a template that is not L2-normalised (norm " +
                          std::to_string(norm) + ")");
    }
  }
}

// ---------------------------------------------------------------- IVF ----
void CheckIvf(const faiss::IndexIVFFlat& idx, const IndexOptions& o) {
  const auto fail = [](const std::string& why) { throw FormatFailure("the IVF index is invalid: " + why); };
  const auto* q = dynamic_cast<const faiss::IndexFlat*>(idx.quantizer);
  if (!q || q->metric_type != faiss::METRIC_INNER_PRODUCT || q->d != o.dim || q->ntotal != static_cast<faiss::Index::idx_t>(idx.nlist)) {
    fail("its quantizer is not an inner-product flat index with one centroid per list");
  }
  const auto* lists = dynamic_cast<const faiss::ArrayInvertedLists*>(idx.invlists);
  const size_t codeSize = static_cast<size_t>(o.dim) * sizeof(float);
  if (!lists || lists->nlist != idx.nlist || lists->code_size != codeSize || idx.code_size != codeSize) {
    fail("its inverted lists do not match the index");
  }
  if (idx.direct_map.type != faiss::DirectMap::NoMap) fail("it has a direct map");
  size_t total = 0;
  for (size_t l = 0; l < lists->nlist; l++) {
    if (lists->codes[l].size() != lists->ids[l].size() * codeSize) fail("list " + std::to_string(l) + " has codes of the wrong size");
    CheckUnitVectors(reinterpret_cast<const float*>(lists->codes[l].data()), lists->ids[l].size(), o.dim, "IVF index");
    total += lists->ids[l].size();
  }
  if (total != static_cast<size_t>(idx.ntotal)) fail("its size differs from the sum of its lists");
}

}  // namespace index
}  // namespace livefr
#endif  // LIVEFR_WITH_FAISS
