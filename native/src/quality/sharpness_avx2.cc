// AVX2 Laplacian sums, 16 pixels per step in 16-bit lanes (|L| <= 1020), the
// squares summed pairwise into 32-bit lanes and flushed to 64 bits every 64
// steps (64 x 2 x 1020^2 < 2^31). Same integers as the scalar kernel.
#include <immintrin.h>

#include "livefr/quality.h"

namespace livefr {
namespace quality {

namespace {
inline __m256i Load16(const uint8_t* p) {
  return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline int64_t Sum32(__m256i v) {
  alignas(32) int32_t a[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), v);
  int64_t t = 0;
  for (int i = 0; i < 8; i++) t += a[i];
  return t;
}
}  // namespace

void RowSumsAvx2(const uint8_t* u, const uint8_t* c, const uint8_t* d, int cols, LaplaceSums* s) {
  const __m256i ones = _mm256_set1_epi16(1);
  int x = 1;
  while (x + 16 + 1 <= cols) {
    __m256i asl = _mm256_setzero_si256(), asl2 = _mm256_setzero_si256();
    __m256i asi = _mm256_setzero_si256(), asi2 = _mm256_setzero_si256();
    for (int k = 0; k < 64 && x + 16 + 1 <= cols; k++, x += 16) {
      const __m256i cc = Load16(c + x);
      const __m256i nb = _mm256_add_epi16(_mm256_add_epi16(Load16(c + x - 1), Load16(c + x + 1)),
                                          _mm256_add_epi16(Load16(u + x), Load16(d + x)));
      const __m256i l = _mm256_sub_epi16(_mm256_slli_epi16(cc, 2), nb);
      asl = _mm256_add_epi32(asl, _mm256_madd_epi16(l, ones));
      asl2 = _mm256_add_epi32(asl2, _mm256_madd_epi16(l, l));
      asi = _mm256_add_epi32(asi, _mm256_madd_epi16(cc, ones));
      asi2 = _mm256_add_epi32(asi2, _mm256_madd_epi16(cc, cc));
    }
    s->sl += Sum32(asl);
    s->sl2 += Sum32(asl2);
    s->si += Sum32(asi);
    s->si2 += Sum32(asi2);
  }
  // The tail (fewer than 16 interior pixels left): scalar, same formula.
  const int done = x - 1;
  s->n += done;
  if (x + 1 < cols) {
    LaplaceSums t;
    RowSumsScalar(u + x - 1, c + x - 1, d + x - 1, cols - (x - 1), &t);
    s->n += t.n;
    s->sl += t.sl;
    s->sl2 += t.sl2;
    s->si += t.si;
    s->si2 += t.si2;
  }
}

}  // namespace quality
}  // namespace livefr
