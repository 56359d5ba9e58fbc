// AVX-512 (F + BW) kernels: the AVX2 kernels at 16 floats a time, with
// masked tails instead of scalar loops.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's own AVX-512 headers trip -Wmaybe-uninitialized (a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "livefr/image.h"
#include "yuv_row.h"

namespace livefr {
namespace image {
namespace {

void VCombine(const uint8_t* const* rows, const float* w, int count, int n, float* out) {
  for (int i = 0; i < n; i += 16) {
    const int left = n - i;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    __m512 a = _mm512_setzero_ps();
    for (int k = 0; k < count; k++) {
      const __m128i b = _mm_maskz_loadu_epi8(m, rows[k] + i);
      a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)), _mm512_set1_ps(w[k]), a);
    }
    _mm512_mask_storeu_ps(out + i, m, a);
  }
}

void HResample(const float* acc, int C, const int32_t* idx, const float* w, int taps, int nx, const int* chmap,
               const float* scale, const float* bias, float* const* planes) {
  // Whole-pixel loads beat 16-wide gathers here (gathers are slow on AMD).
  if (C >= 3) return Avx2Kernels().hresample(acc, C, idx, w, taps, nx, chmap, scale, bias, planes);
  const __m512i c0 = _mm512_set1_epi32(chmap[0]), c1 = _mm512_set1_epi32(chmap[1]), c2 = _mm512_set1_epi32(chmap[2]);
  for (int x = 0; x < nx; x += 16) {
    const int left = nx - x;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps();
    for (int j = 0; j < taps; j++) {
      const __m512i id = _mm512_maskz_loadu_epi32(m, idx + j * nx + x);
      const __m512 wj = _mm512_maskz_loadu_ps(m, w + j * nx + x);
      // Masked-off lanes have index 0 + chmap, always inside acc.
      s0 = _mm512_fmadd_ps(_mm512_i32gather_ps(_mm512_add_epi32(id, c0), acc, 4), wj, s0);
      s1 = _mm512_fmadd_ps(_mm512_i32gather_ps(_mm512_add_epi32(id, c1), acc, 4), wj, s1);
      s2 = _mm512_fmadd_ps(_mm512_i32gather_ps(_mm512_add_epi32(id, c2), acc, 4), wj, s2);
    }
    _mm512_mask_storeu_ps(planes[0] + x, m, _mm512_fmadd_ps(s0, _mm512_set1_ps(scale[0]), _mm512_set1_ps(bias[0])));
    _mm512_mask_storeu_ps(planes[1] + x, m, _mm512_fmadd_ps(s1, _mm512_set1_ps(scale[1]), _mm512_set1_ps(bias[1])));
    _mm512_mask_storeu_ps(planes[2] + x, m, _mm512_fmadd_ps(s2, _mm512_set1_ps(scale[2]), _mm512_set1_ps(bias[2])));
  }
}

void WarpRow(const uint32_t* region, int rw, int rh, float x0, float y0, float dx, float dy, int n,
             const int* chmap, const float* scale, const float* bias, float* const* planes) {
  const __m512 maxX = _mm512_set1_ps(static_cast<float>(rw - 1)), maxY = _mm512_set1_ps(static_cast<float>(rh - 1));
  const __m512i limX = _mm512_set1_epi32(rw - 2), limY = _mm512_set1_epi32(rh - 2), vrw = _mm512_set1_epi32(rw);
  const __m512 zero = _mm512_setzero_ps();
  const __m512 lane = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i mask255 = _mm512_set1_epi32(255);
  for (int u = 0; u < n; u += 16) {
    const int left = n - u;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    const __m512 fu = _mm512_add_ps(_mm512_set1_ps(static_cast<float>(u)), lane);
    __m512 sx = _mm512_add_ps(_mm512_set1_ps(x0), _mm512_mul_ps(fu, _mm512_set1_ps(dx)));
    __m512 sy = _mm512_add_ps(_mm512_set1_ps(y0), _mm512_mul_ps(fu, _mm512_set1_ps(dy)));
    sx = _mm512_min_ps(_mm512_max_ps(sx, zero), maxX);
    sy = _mm512_min_ps(_mm512_max_ps(sy, zero), maxY);
    const __m512i ix = _mm512_min_epi32(_mm512_cvttps_epi32(sx), limX);
    const __m512i iy = _mm512_min_epi32(_mm512_cvttps_epi32(sy), limY);
    const __m512 fx = _mm512_sub_ps(sx, _mm512_cvtepi32_ps(ix)), fy = _mm512_sub_ps(sy, _mm512_cvtepi32_ps(iy));
    const __m512i o = _mm512_add_epi32(_mm512_mullo_epi32(iy, vrw), ix);
    const __m512i p00 = _mm512_i32gather_epi32(o, region, 4);
    const __m512i p01 = _mm512_i32gather_epi32(o, region + 1, 4);
    const __m512i p10 = _mm512_i32gather_epi32(o, region + rw, 4);
    const __m512i p11 = _mm512_i32gather_epi32(o, region + rw + 1, 4);
    for (int c = 0; c < 3; c++) {
      const __m128i sh = _mm_cvtsi32_si128(8 * chmap[c]);
      const __m512 a = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srl_epi32(p00, sh), mask255));
      const __m512 b = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srl_epi32(p01, sh), mask255));
      const __m512 d = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srl_epi32(p10, sh), mask255));
      const __m512 e = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srl_epi32(p11, sh), mask255));
      const __m512 top = _mm512_fmadd_ps(fx, _mm512_sub_ps(b, a), a);
      const __m512 bot = _mm512_fmadd_ps(fx, _mm512_sub_ps(e, d), d);
      const __m512 v = _mm512_fmadd_ps(fy, _mm512_sub_ps(bot, top), top);
      _mm512_mask_storeu_ps(planes[c] + u, m, _mm512_fmadd_ps(v, _mm512_set1_ps(scale[c]), _mm512_set1_ps(bias[c])));
    }
  }
}

void YuvRow(const uint8_t* y, const uint8_t* u, const uint8_t* v, int uvStep, int x0, int n, uint8_t* rgb) {
  Avx2Kernels().yuvrow(y, u, v, uvStep, x0, n, rgb);
}

void PackRow(const uint8_t* src, int C, bool bgr, int n, uint32_t* dst) { Avx2Kernels().packrow(src, C, bgr, n, dst); }

// 3-way de-interleave of 96 uint16 e[0..95] held in a, b, c: o[k][i] = e[3i + k]
// (two cross-register word permutes per output, no gathers).
struct Deint3 {
  __m512i lo[3], hi[3];
  Deint3() {
    alignas(64) uint16_t l[32], h[32];
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < 32; i++) {
        const int e = 3 * i + k;  // element wanted
        l[i] = static_cast<uint16_t>(e < 64 ? e : 0);
        h[i] = static_cast<uint16_t>(e < 64 ? i : 32 + (e - 64));
      }
      lo[k] = _mm512_load_si512(l);
      hi[k] = _mm512_load_si512(h);
    }
  }
  void operator()(__m512i a, __m512i b, __m512i c, __m512i* o) const {
    for (int k = 0; k < 3; k++) o[k] = _mm512_permutex2var_epi16(_mm512_permutex2var_epi16(a, lo[k], b), hi[k], c);
  }
};

inline __m512i Load32Bytes(const uint8_t* p) {
  return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// Exact integer sums: the 3 rows are added as uint16 and de-interleaved into
// channel planes (source resolution), then each plane's pixel triples are
// de-interleaved again and added (<= 9 * 255, no overflow), then scaled.
void Area3Rgb(const uint8_t* const* r, int nx, const int* chmap, const float* scale, const float* bias,
              float* const* planes, uint16_t* scratch) {
  static const Deint3 deint;
  const int n = 3 * nx;  // source pixels per row
  uint16_t* P[3] = {scratch, scratch + n, scratch + 2 * n};
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    const size_t o = 3 * static_cast<size_t>(i);
    __m512i v[3];
    for (int q = 0; q < 3; q++) {
      const size_t oq = o + 32 * q;
      v[q] = _mm512_add_epi16(_mm512_add_epi16(Load32Bytes(r[0] + oq), Load32Bytes(r[1] + oq)), Load32Bytes(r[2] + oq));
    }
    __m512i ch[3];
    deint(v[0], v[1], v[2], ch);
    for (int c = 0; c < 3; c++) _mm512_storeu_si512(P[c] + i, ch[c]);
  }
  for (; i < n; i++) {
    for (int c = 0; c < 3; c++) P[c][i] = static_cast<uint16_t>(r[0][3 * i + c] + r[1][3 * i + c] + r[2][3 * i + c]);
  }
  for (int c = 0; c < 3; c++) {
    const uint16_t* src = P[chmap[c]];
    float* dst = planes[c];
    const float sc = scale[c] / 9.0f;
    const __m512 vs = _mm512_set1_ps(sc), vb = _mm512_set1_ps(bias[c]);
    int x = 0;
    for (; x + 32 <= nx; x += 32) {
      const uint16_t* q = src + 3 * x;
      __m512i t[3];
      deint(_mm512_loadu_si512(q), _mm512_loadu_si512(q + 32), _mm512_loadu_si512(q + 64), t);
      const __m512i s = _mm512_add_epi16(_mm512_add_epi16(t[0], t[1]), t[2]);
      const __m512 f0 = _mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(s)));
      const __m512 f1 = _mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(s, 1)));
      _mm512_storeu_ps(dst + x, _mm512_fmadd_ps(f0, vs, vb));
      _mm512_storeu_ps(dst + x + 16, _mm512_fmadd_ps(f1, vs, vb));
    }
    for (; x < nx; x++) dst[x] = static_cast<float>(src[3 * x] + src[3 * x + 1] + src[3 * x + 2]) * sc + bias[c];
  }
}

const Kernels kAvx512 = {VCombine, HResample, WarpRow, YuvRow, PackRow, Area3Rgb};

}  // namespace

const Kernels& Avx512Kernels() { return kAvx512; }

}  // namespace image
}  // namespace livefr
