// Face quality measures for the pipeline: a cheap sharpness score (variance
// of the Laplacian of luma) over many face boxes of one frame. Pure C++
// below the binding; the kernels exist in scalar and AVX2 versions with
// identical integer arithmetic, chosen by the image module's SIMD level.
#pragma once

#include <cstddef>
#include <cstdint>

namespace livefr {
namespace quality {

// Integer sums over the interior pixels of a luma region (rows x cols bytes,
// `stride` bytes per row): the 4-neighbour Laplacian L = 4c - l - r - u - d.
struct LaplaceSums {
  int64_t n = 0;    // interior pixels
  int64_t sl = 0;   // sum of L
  int64_t sl2 = 0;  // sum of L^2
  int64_t si = 0;   // sum of intensity
  int64_t si2 = 0;  // sum of intensity^2
};

// One row of the sums: the interior pixels 1..cols-2 of row `c`, with its
// neighbour rows `u` (above) and `d` (below).
using RowSumsFn = void (*)(const uint8_t* u, const uint8_t* c, const uint8_t* d, int cols, LaplaceSums* s);

void RowSumsScalar(const uint8_t* u, const uint8_t* c, const uint8_t* d, int cols, LaplaceSums* s);
#if defined(LIVEFR_SIMD)
void RowSumsAvx2(const uint8_t* u, const uint8_t* c, const uint8_t* d, int cols, LaplaceSums* s);
#endif

}  // namespace quality
}  // namespace livefr
