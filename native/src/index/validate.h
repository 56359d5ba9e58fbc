// Checks of index bytes read from a watchlist file, which is input from
// disk: FAISS trusts its own serialisation (sizes it resizes to before
// reading, neighbour ids it follows without bounds checks), so nothing it
// reads reaches a search before these checks have passed.
#pragma once

#if defined(LIVEFR_WITH_FAISS)
#include <cstddef>
#include <cstdint>

#include "livefr/index.h"

namespace faiss {
struct IndexHNSWFlat;
struct IndexIVFFlat;
}  // namespace faiss

namespace livefr {
namespace index {

// Walks the FAISS bytes of one store (the subset of FAISS' format livefr
// writes: IndexIDMap2 over IndexFlatIP, IndexHNSWFlat, IndexIVFFlat with
// array inverted lists) before FAISS parses them: every vector length must
// fit in the bytes that follow, every count must agree with the others, so
// FAISS never allocates more than the file holds. Throws FormatFailure.
void CheckFaissBytes(const uint8_t* data, size_t size, Kind kind, const IndexOptions& o);

// Checks a parsed HNSW graph before its first search: the level table is
// the one M gives, every node's level and offsets agree, every neighbour id
// is -1 or a node present at that level, the entry point is a node of the
// top level. Resets the search parameters read from the file (efSearch,
// efConstruction, upper_beam) to the watchlist's options. Throws FormatFailure.
void CheckHnswGraph(faiss::IndexHNSWFlat* idx, const IndexOptions& o);

// Checks that n stored vectors of dimension d are finite and L2-normalised
// (every template passed that check when it was added; a file whose vectors
// are not is corrupt or forged, and its scores would mean nothing).
void CheckUnitVectors(const float* x, size_t n, int d, const char* what);

// Checks a parsed IVF index: flat inner-product quantizer with one centroid
// per list, array inverted lists of d floats per code, no direct map, and
// ntotal equal to the sum of the list sizes. Throws FormatFailure.
void CheckIvf(const faiss::IndexIVFFlat& idx, const IndexOptions& o);

}  // namespace index
}  // namespace livefr
#endif  // LIVEFR_WITH_FAISS
