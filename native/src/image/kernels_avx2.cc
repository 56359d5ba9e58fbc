// AVX2 + FMA kernels (compiled with -mavx2 -mfma; chosen at run time).
// Each keeps the arithmetic of kernels_scalar.cc, 8 floats at a time.
#include <immintrin.h>

#include "livefr/image.h"
#include "yuv_row.h"

namespace livefr {
namespace image {
namespace {

void VCombine(const uint8_t* const* rows, const float* w, int count, int n, float* out) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (int k = 0; k < count; k++) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[k] + i));
      const __m256 wk = _mm256_set1_ps(w[k]);
      const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
      const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)));
      a0 = _mm256_fmadd_ps(lo, wk, a0);
      a1 = _mm256_fmadd_ps(hi, wk, a1);
    }
    _mm256_storeu_ps(out + i, a0);
    _mm256_storeu_ps(out + i + 8, a1);
  }
  for (; i < n; i++) {
    float s = 0;
    for (int k = 0; k < count; k++) s += w[k] * rows[k][i];
    out[i] = s;
  }
}

// 3 or 4 channels per pixel: one 128-bit load per pixel and tap (all its
// channels at once), two pixels per register, then a 4x4 transpose to planes.
int HResamplePixels(const float* acc, const int32_t* idx, const float* w, int taps, int nx, const int* chmap,
                    const float* scale, const float* bias, float* const* planes) {
  int x = 0;
  for (; x + 8 <= nx; x += 8) {
    __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int j = 0; j < taps; j++) {
      const int32_t* id = idx + j * nx + x;
      const float* wj = w + j * nx + x;
      for (int i = 0; i < 4; i++) {
        const __m256 v = _mm256_loadu2_m128(acc + id[i + 4], acc + id[i]);
        const __m256 wv = _mm256_set_m128(_mm_broadcast_ss(wj + i + 4), _mm_broadcast_ss(wj + i));
        a[i] = _mm256_fmadd_ps(v, wv, a[i]);
      }
    }
    const __m256 t0 = _mm256_unpacklo_ps(a[0], a[1]), t1 = _mm256_unpackhi_ps(a[0], a[1]);
    const __m256 t2 = _mm256_unpacklo_ps(a[2], a[3]), t3 = _mm256_unpackhi_ps(a[2], a[3]);
    const __m256 ch[3] = {_mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
                          _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0))};
    for (int c = 0; c < 3; c++) {
      _mm256_storeu_ps(planes[c] + x, _mm256_fmadd_ps(ch[chmap[c]], _mm256_set1_ps(scale[c]), _mm256_set1_ps(bias[c])));
    }
  }
  return x;
}

void HResample(const float* acc, int C, const int32_t* idx, const float* w, int taps, int nx, const int* chmap,
               const float* scale, const float* bias, float* const* planes) {
  int x = C >= 3 ? HResamplePixels(acc, idx, w, taps, nx, chmap, scale, bias, planes) : 0;
  for (; x + 8 <= nx; x += 8) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps();
    const __m256i c0 = _mm256_set1_epi32(chmap[0]), c1 = _mm256_set1_epi32(chmap[1]), c2 = _mm256_set1_epi32(chmap[2]);
    for (int j = 0; j < taps; j++) {
      const __m256i id = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + j * nx + x));
      const __m256 wj = _mm256_loadu_ps(w + j * nx + x);
      s0 = _mm256_fmadd_ps(_mm256_i32gather_ps(acc, _mm256_add_epi32(id, c0), 4), wj, s0);
      s1 = _mm256_fmadd_ps(_mm256_i32gather_ps(acc, _mm256_add_epi32(id, c1), 4), wj, s1);
      s2 = _mm256_fmadd_ps(_mm256_i32gather_ps(acc, _mm256_add_epi32(id, c2), 4), wj, s2);
    }
    _mm256_storeu_ps(planes[0] + x, _mm256_fmadd_ps(s0, _mm256_set1_ps(scale[0]), _mm256_set1_ps(bias[0])));
    _mm256_storeu_ps(planes[1] + x, _mm256_fmadd_ps(s1, _mm256_set1_ps(scale[1]), _mm256_set1_ps(bias[1])));
    _mm256_storeu_ps(planes[2] + x, _mm256_fmadd_ps(s2, _mm256_set1_ps(scale[2]), _mm256_set1_ps(bias[2])));
  }
  for (; x < nx; x++) {
    for (int c = 0; c < 3; c++) {
      float s = 0;
      for (int j = 0; j < taps; j++) s += w[j * nx + x] * acc[idx[j * nx + x] + chmap[c]];
      planes[c][x] = s * scale[c] + bias[c];
    }
  }
}


void WarpRow(const uint32_t* region, int rw, int rh, float x0, float y0, float dx, float dy, int n,
             const int* chmap, const float* scale, const float* bias, float* const* planes) {
  const __m256 maxX = _mm256_set1_ps(static_cast<float>(rw - 1)), maxY = _mm256_set1_ps(static_cast<float>(rh - 1));
  const __m256i limX = _mm256_set1_epi32(rw - 2), limY = _mm256_set1_epi32(rh - 2), vrw = _mm256_set1_epi32(rw);
  const __m256 zero = _mm256_setzero_ps();
  const int* base = reinterpret_cast<const int*>(region);
  const __m128i s0 = _mm_cvtsi32_si128(8 * chmap[0]), s1 = _mm_cvtsi32_si128(8 * chmap[1]),
                s2 = _mm_cvtsi32_si128(8 * chmap[2]);
  const __m128i shifts[3] = {s0, s1, s2};
  int u = 0;
  for (; u + 8 <= n; u += 8) {
    const __m256 fu = _mm256_add_ps(_mm256_set1_ps(static_cast<float>(u)), _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 sx = _mm256_add_ps(_mm256_set1_ps(x0), _mm256_mul_ps(fu, _mm256_set1_ps(dx)));
    __m256 sy = _mm256_add_ps(_mm256_set1_ps(y0), _mm256_mul_ps(fu, _mm256_set1_ps(dy)));
    sx = _mm256_min_ps(_mm256_max_ps(sx, zero), maxX);
    sy = _mm256_min_ps(_mm256_max_ps(sy, zero), maxY);
    const __m256i ix = _mm256_min_epi32(_mm256_cvttps_epi32(sx), limX);
    const __m256i iy = _mm256_min_epi32(_mm256_cvttps_epi32(sy), limY);
    const __m256 fx = _mm256_sub_ps(sx, _mm256_cvtepi32_ps(ix)), fy = _mm256_sub_ps(sy, _mm256_cvtepi32_ps(iy));
    const __m256i o = _mm256_add_epi32(_mm256_mullo_epi32(iy, vrw), ix);
    const __m256i p00 = _mm256_i32gather_epi32(base, o, 4);
    const __m256i p01 = _mm256_i32gather_epi32(base + 1, o, 4);
    const __m256i p10 = _mm256_i32gather_epi32(base + rw, o, 4);
    const __m256i p11 = _mm256_i32gather_epi32(base + rw + 1, o, 4);
    for (int c = 0; c < 3; c++) {
      const __m256 a = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srl_epi32(p00, shifts[c]), _mm256_set1_epi32(255)));
      const __m256 b = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srl_epi32(p01, shifts[c]), _mm256_set1_epi32(255)));
      const __m256 d = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srl_epi32(p10, shifts[c]), _mm256_set1_epi32(255)));
      const __m256 e = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srl_epi32(p11, shifts[c]), _mm256_set1_epi32(255)));
      const __m256 top = _mm256_fmadd_ps(fx, _mm256_sub_ps(b, a), a);
      const __m256 bot = _mm256_fmadd_ps(fx, _mm256_sub_ps(e, d), d);
      const __m256 v = _mm256_fmadd_ps(fy, _mm256_sub_ps(bot, top), top);
      _mm256_storeu_ps(planes[c] + u, _mm256_fmadd_ps(v, _mm256_set1_ps(scale[c]), _mm256_set1_ps(bias[c])));
    }
  }
  if (u < n) {
    float* tail[3] = {planes[0] + u, planes[1] + u, planes[2] + u};
    ScalarKernels().warprow(region, rw, rh, x0 + static_cast<float>(u) * dx, y0 + static_cast<float>(u) * dy, dx, dy,
                            n - u, chmap, scale, bias, tail);
  }
}

// 8 pixels of BT.601 limited range in 8.8 fixed point (the scalar formula).
inline void YuvMath(__m256i yy, __m256i uu, __m256i vv, __m256i* r, __m256i* g, __m256i* b) {
  const __m256i c = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_sub_epi32(yy, _mm256_set1_epi32(16)), _mm256_set1_epi32(298)),
                                     _mm256_set1_epi32(128));
  const __m256i d = _mm256_sub_epi32(uu, _mm256_set1_epi32(128));
  const __m256i e = _mm256_sub_epi32(vv, _mm256_set1_epi32(128));
  *r = _mm256_srai_epi32(_mm256_add_epi32(c, _mm256_mullo_epi32(e, _mm256_set1_epi32(409))), 8);
  *g = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_sub_epi32(c, _mm256_mullo_epi32(d, _mm256_set1_epi32(100))),
                                          _mm256_mullo_epi32(e, _mm256_set1_epi32(208))), 8);
  *b = _mm256_srai_epi32(_mm256_add_epi32(c, _mm256_mullo_epi32(d, _mm256_set1_epi32(516))), 8);
}

// Two groups of 8 int32 -> 16 bytes, saturated to 0..255 (the scalar clamp).
inline __m128i Pack16(__m256i lo, __m256i hi) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  return _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

// 16 pixels a time from an even pixel: 16 Y bytes, 8 chroma pairs.
void YuvRow(const uint8_t* y, const uint8_t* u, const uint8_t* v, int uvStep, int x0, int n, uint8_t* rgb) {
  int i = 0;
  if ((x0 & 1) && n > 0) {
    YuvRowImpl(y, u, v, uvStep, x0, 1, rgb);
    i = 1;
  }
  const char z = static_cast<char>(0x80);
  // Output byte j of each 16-byte block takes pixel j / 3 (plus the block's offset) of channel j % 3.
  __m128i mr[3], mg[3], mb[3];
  for (int k = 0; k < 3; k++) {
    alignas(16) char a[3][16];
    for (int j = 0; j < 16; j++) {
      const int o = 16 * k + j, px = o / 3, ch = o % 3;
      for (int c = 0; c < 3; c++) a[c][j] = ch == c ? static_cast<char>(px) : z;
    }
    mr[k] = _mm_load_si128(reinterpret_cast<const __m128i*>(a[0]));
    mg[k] = _mm_load_si128(reinterpret_cast<const __m128i*>(a[1]));
    mb[k] = _mm_load_si128(reinterpret_cast<const __m128i*>(a[2]));
  }
  const __m128i dupLo = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m128i nvU = _mm_setr_epi8(0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14);
  const __m128i nvV = _mm_setr_epi8(1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15);
  for (; i + 16 <= n; i += 16) {
    const int x = x0 + i;  // even
    const __m128i yb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y + x));
    __m128i ub, vb;
    if (uvStep == 2) {
      const __m128i uv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(u + x));  // u + 2 * (x / 2)
      ub = _mm_shuffle_epi8(uv, nvU);
      vb = _mm_shuffle_epi8(uv, nvV);
    } else {
      ub = _mm_shuffle_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(u + x / 2)), dupLo);
      vb = _mm_shuffle_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(v + x / 2)), dupLo);
    }
    __m256i r0, g0, b0, r1, g1, b1;
    YuvMath(_mm256_cvtepu8_epi32(yb), _mm256_cvtepu8_epi32(ub), _mm256_cvtepu8_epi32(vb), &r0, &g0, &b0);
    YuvMath(_mm256_cvtepu8_epi32(_mm_srli_si128(yb, 8)), _mm256_cvtepu8_epi32(_mm_srli_si128(ub, 8)),
            _mm256_cvtepu8_epi32(_mm_srli_si128(vb, 8)), &r1, &g1, &b1);
    const __m128i r = Pack16(r0, r1), g = Pack16(g0, g1), b = Pack16(b0, b1);
    uint8_t* o = rgb + 3 * static_cast<size_t>(i);
    for (int k = 0; k < 3; k++) {
      const __m128i v3 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r, mr[k]), _mm_shuffle_epi8(g, mg[k])), _mm_shuffle_epi8(b, mb[k]));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16 * k), v3);
    }
  }
  if (i < n) YuvRowImpl(y, u, v, uvStep, x0 + i, n - i, rgb + 3 * static_cast<size_t>(i));
}

// 8 pixels a time with byte shuffles. The 3-byte path reads 4 bytes past its
// 8 pixels, so it stops 2 pixels (6 bytes) before the end of the span.
void PackRow(const uint8_t* src, int C, bool bgr, int n, uint32_t* dst) {
  int i = 0;
  const char z = static_cast<char>(0x80);
  const char r = bgr ? 2 : 0, b = bgr ? 0 : 2;
  if (C == 3) {
    const __m256i shuf = _mm256_setr_epi8(r, 1, b, z, r + 3, 4, b + 3, z, r + 6, 7, b + 6, z, r + 9, 10, b + 9, z,
                                          r, 1, b, z, r + 3, 4, b + 3, z, r + 6, 7, b + 6, z, r + 9, 10, b + 9, z);
    for (; i + 10 <= n; i += 8) {
      const uint8_t* q = src + 3 * static_cast<size_t>(i);
      const __m256i v = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 12)),
                                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_shuffle_epi8(v, shuf));
    }
  } else if (C == 4) {
    const __m256i shuf = _mm256_setr_epi8(r, 1, b, z, r + 4, 5, b + 4, z, r + 8, 9, b + 8, z, r + 12, 13, b + 12, z,
                                          r, 1, b, z, r + 4, 5, b + 4, z, r + 8, 9, b + 8, z, r + 12, 13, b + 12, z);
    for (; i + 8 <= n; i += 8) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 4 * static_cast<size_t>(i)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_shuffle_epi8(v, shuf));
    }
  } else {
    const __m256i mul = _mm256_set1_epi32(0x010101);
    for (; i + 8 <= n; i += 8) {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_mullo_epi32(_mm256_cvtepu8_epi32(v), mul));
    }
  }
  PackRowImpl(src + static_cast<size_t>(C) * i, C, bgr, n - i, dst + i);
}

// Exact 3x3 block sums in uint16 (<= 9 * 255): V = the 3 rows added, then
// T[i] = V[i] + V[i+3] + V[i+6] (the pixel triple), then T[9x + c] is output
// pixel x's channel c: 8 pixels' 128-bit loads transposed (no gathers).
void Area3Rgb(const uint8_t* const* r, int nx, const int* chmap, const float* scale, const float* bias,
              float* const* planes, uint16_t* scratch) {
  const int n = 9 * nx;  // bytes per source row span
  uint16_t* V = scratch;
  uint16_t* T = scratch + n + 32;
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r[0] + i)));
    const __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r[1] + i)));
    const __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r[2] + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(V + i), _mm256_add_epi16(_mm256_add_epi16(a, b), c));
  }
  for (; i < n; i++) V[i] = static_cast<uint16_t>(r[0][i] + r[1][i] + r[2][i]);
  for (; i < n + 32; i++) V[i] = 0;
  for (i = 0; i < n; i += 16) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(V + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(V + i + 3));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(V + i + 6));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(T + i), _mm256_add_epi16(_mm256_add_epi16(a, b), c));
  }
  __m256 vs[3], vb[3];
  for (int c = 0; c < 3; c++) vs[c] = _mm256_set1_ps(scale[c] / 9.0f), vb[c] = _mm256_set1_ps(bias[c]);
  int x = 0;
  for (; x + 8 <= nx; x += 8) {
    __m128i p[8];
    for (int j = 0; j < 8; j++) p[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(T + 9 * (x + j)));
    const __m128i q0 = _mm_unpacklo_epi16(p[0], p[1]), q1 = _mm_unpacklo_epi16(p[2], p[3]);
    const __m128i q2 = _mm_unpacklo_epi16(p[4], p[5]), q3 = _mm_unpacklo_epi16(p[6], p[7]);
    const __m128i r0 = _mm_unpacklo_epi32(q0, q1), r1 = _mm_unpacklo_epi32(q2, q3);  // c0 x4, c1 x4
    const __m128i r2 = _mm_unpackhi_epi32(q0, q1), r3 = _mm_unpackhi_epi32(q2, q3);  // c2 x4, c3 x4
    const __m128i ch[3] = {_mm_unpacklo_epi64(r0, r1), _mm_unpackhi_epi64(r0, r1), _mm_unpacklo_epi64(r2, r3)};
    for (int c = 0; c < 3; c++) {
      const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(ch[chmap[c]]));
      _mm256_storeu_ps(planes[c] + x, _mm256_fmadd_ps(v, vs[c], vb[c]));
    }
  }
  for (; x < nx; x++) {
    for (int c = 0; c < 3; c++) planes[c][x] = static_cast<float>(T[9 * x + chmap[c]]) * (scale[c] / 9.0f) + bias[c];
  }
}

const Kernels kAvx2 = {VCombine, HResample, WarpRow, YuvRow, PackRow, Area3Rgb};

}  // namespace

const Kernels& Avx2Kernels() { return kAvx2; }

}  // namespace image
}  // namespace livefr
