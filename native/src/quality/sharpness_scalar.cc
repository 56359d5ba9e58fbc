// Scalar Laplacian sums: the reference the AVX2 kernel must equal exactly.
#include "livefr/quality.h"

namespace livefr {
namespace quality {

void RowSumsScalar(const uint8_t* u, const uint8_t* c, const uint8_t* d, int cols, LaplaceSums* s) {
  int64_t sl = 0, sl2 = 0, si = 0, si2 = 0;
  for (int x = 1; x + 1 < cols; x++) {
    const int v = c[x];
    const int l = 4 * v - c[x - 1] - c[x + 1] - u[x] - d[x];
    sl += l;
    sl2 += l * l;
    si += v;
    si2 += v * v;
  }
  if (cols > 2) s->n += cols - 2;
  s->sl += sl;
  s->sl2 += sl2;
  s->si += si;
  s->si2 += si2;
}

}  // namespace quality
}  // namespace livefr
