// 5-point similarity alignment: least-squares fit, then an inverse-mapped
// bilinear warp of each face into a size x size NCHW crop.
//
// The part of the frame a face needs is first converted to an RGBX region
// with a one-pixel ring of border value around it, so the SIMD row kernels
// can gather 4 neighbours without bounds checks. When the face is more than
// twice the crop's size, the region is box-filtered by an integer factor k
// (k x k source pixels per region pixel) so the warp does not alias.
// Bicubic and area sampling (scalar) and an unsharp mask for enlarged faces
// are options (AlignParams), measured on the live-like protocol
// (docs/models.md, "Tuning around the models").
#include <algorithm>
#include <cmath>
#include <vector>

#include "livefr/image.h"

namespace livefr {
namespace image {

bool FitSimilarity(const float* src, const float* dst, const int* points, int count, double* m) {
  double pmx = 0, pmy = 0, qmx = 0, qmy = 0;
  for (int i = 0; i < count; i++) {
    const int k = points[i];
    pmx += src[2 * k], pmy += src[2 * k + 1], qmx += dst[2 * k], qmy += dst[2 * k + 1];
  }
  pmx /= count, pmy /= count, qmx /= count, qmy /= count;
  double sxx = 0, sa = 0, sb = 0;
  for (int i = 0; i < count; i++) {
    const int k = points[i];
    const double px = src[2 * k] - pmx, py = src[2 * k + 1] - pmy;
    const double qx = dst[2 * k] - qmx, qy = dst[2 * k + 1] - qmy;
    sxx += px * px + py * py;
    sa += px * qx + py * qy;
    sb += px * qy - py * qx;
  }
  if (!(sxx > 1e-12)) return false;
  const double a = sa / sxx, b = sb / sxx;
  if (!(a * a + b * b > 1e-24)) return false;
  m[0] = a, m[1] = -b, m[2] = qmx - (a * pmx - b * pmy);
  m[3] = b, m[4] = a, m[5] = qmy - (b * pmx + a * pmy);
  return true;
}

namespace {

struct Region {
  std::vector<uint32_t> px;
  int ox = 0, oy = 0;  // grid coordinates of region pixel (0, 0)
  int w = 2, h = 2;
};

inline uint32_t Pack(int r, int g, int b) {
  return static_cast<uint32_t>(r) | (static_cast<uint32_t>(g) << 8) | (static_cast<uint32_t>(b) << 16);
}

// Frame pixels [x0, x0 + n) of row y as RGBX words.
void PackRow(const FrameView& f, const Kernels& kern, int y, int x0, int n, uint32_t* dst, std::vector<uint8_t>* scratch) {
  const uint8_t* row = f.data + static_cast<size_t>(y) * f.stride;
  const int C = ChannelsOf(f.format);
  if (f.format == Format::kNv12 || f.format == Format::kI420) {
    scratch->resize(static_cast<size_t>(n) * 3);
    RowToRgbWith(kern, f, y, x0, n, scratch->data());
    kern.packrow(scratch->data(), 3, false, n, dst);
    return;
  }
  const bool bgr = f.format == Format::kBgr || f.format == Format::kBgra;
  kern.packrow(row + static_cast<size_t>(C) * x0, C, bgr, n, dst);
}

// Region of the k-downsampled frame grid covering grid points [gx0, gx1] x
// [gy0, gy1] (inclusive, already clipped to the grid), plus a ring of border.
void BuildRegion(const FrameView& f, const Kernels& kern, int k, int gx0, int gy0, int gx1, int gy1, uint32_t border, Region* r) {
  r->ox = gx0 - 1, r->oy = gy0 - 1;
  r->w = gx1 - gx0 + 3, r->h = gy1 - gy0 + 3;
  const size_t W = static_cast<size_t>(r->w);
  r->px.resize(W * r->h);
  uint32_t* px = r->px.data();
  if (gx1 < gx0 || gy1 < gy0) {
    std::fill(px, px + W * r->h, border);
    return;
  }
  // The ring; the interior is all inside the frame and overwritten below.
  std::fill(px, px + W, border);
  std::fill(px + W * (r->h - 1), px + W * r->h, border);
  for (int y = 1; y < r->h - 1; y++) px[W * y] = px[W * y + W - 1] = border;
  const int fx0 = gx0 * k, fx1 = std::min((gx1 + 1) * k, f.width);  // frame columns [fx0, fx1)
  const int n = fx1 - fx0;
  std::vector<uint8_t> scratch;
  if (k == 1) {
    for (int gy = gy0; gy <= gy1; gy++) PackRow(f, kern, gy, fx0, n, px + W * (gy - r->oy) + 1, &scratch);
    return;
  }
  std::vector<uint8_t> rgb(static_cast<size_t>(n) * 3);
  std::vector<uint32_t> sum(static_cast<size_t>(gx1 - gx0 + 1) * 3);
  for (int gy = gy0; gy <= gy1; gy++) {
    uint32_t* dst = px + W * (gy - r->oy) + 1;
    std::fill(sum.begin(), sum.end(), 0u);
    const int fy0 = gy * k, fy1 = std::min(fy0 + k, f.height);
    for (int fy = fy0; fy < fy1; fy++) {
      RowToRgbWith(kern, f, fy, fx0, n, rgb.data());
      for (int i = 0; i < n; i++) {
        uint32_t* s = sum.data() + 3 * (i / k);
        s[0] += rgb[3 * i], s[1] += rgb[3 * i + 1], s[2] += rgb[3 * i + 2];
      }
    }
    for (int gx = gx0; gx <= gx1; gx++) {
      const int cols = std::min(k, f.width - gx * k);
      const uint32_t cnt = static_cast<uint32_t>(cols * (fy1 - fy0));
      const uint32_t* s = sum.data() + 3 * (gx - gx0);
      dst[gx - gx0] = Pack((s[0] + cnt / 2) / cnt, (s[1] + cnt / 2) / cnt, (s[2] + cnt / 2) / cnt);
    }
  }
}

inline float Channel(uint32_t px, int c) { return static_cast<float>((px >> (8 * c)) & 255); }

// Keys' cubic convolution weights (a = -0.5) for offset t in [0, 1).
inline void CubicWeights(float t, float* w) {
  const float a = -0.5f;
  auto near = [&](float x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };    // |x| <= 1
  auto far = [&](float x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };  // 1 < |x| < 2
  w[0] = far(1 + t), w[1] = near(t), w[2] = near(1 - t), w[3] = far(2 - t);
}

// Weights of the grid pixels [j0, j0 + count) overlapping [c - r/2, c + r/2]
// (pixel j covers [j - 0.5, j + 0.5]); at most 4.
inline int AreaWeights(float c, float r, int* j0, float* w) {
  const float lo = c - r / 2, hi = c + r / 2;
  const int a = static_cast<int>(std::floor(lo + 0.5f));
  int count = 0;
  float sum = 0;
  for (int j = a; j <= a + 3; j++) {
    const float ov = std::min(hi, j + 0.5f) - std::max(lo, j - 0.5f);
    if (ov <= 0) break;
    w[count++] = ov, sum += ov;
  }
  if (count == 0) w[count++] = 1, sum = 1;
  for (int i = 0; i < count; i++) w[i] /= sum;
  *j0 = a;
  return count;
}

// One output row, bicubic (interpolation 1) or area (2) sampling; the
// region's coordinates are clamped to it (its ring holds the border value).
void WarpRowScalar(int interpolation, const Region& r, float x0, float y0, float dx, float dy, int n, const int* chmap,
                   const float* scale, const float* bias, float* const* planes) {
  const uint32_t* px = r.px.data();
  auto at = [&](int x, int y) {
    x = std::min(std::max(x, 0), r.w - 1), y = std::min(std::max(y, 0), r.h - 1);
    return px[static_cast<size_t>(y) * r.w + x];
  };
  const float foot = std::sqrt(dx * dx + dy * dy);  // grid px per output px
  for (int u = 0; u < n; u++) {
    const float sx = x0 + u * dx, sy = y0 + u * dy;
    float wx[4], wy[4];
    int jx, jy, nx, ny;
    if (interpolation == 1) {
      const float fx = std::floor(sx), fy = std::floor(sy);
      CubicWeights(sx - fx, wx), CubicWeights(sy - fy, wy);
      jx = static_cast<int>(fx) - 1, jy = static_cast<int>(fy) - 1, nx = ny = 4;
    } else {
      nx = AreaWeights(sx, foot, &jx, wx), ny = AreaWeights(sy, foot, &jy, wy);
    }
    float acc[3] = {0, 0, 0};
    for (int b = 0; b < ny; b++) {
      float row[3] = {0, 0, 0};
      for (int a = 0; a < nx; a++) {
        const uint32_t p = at(jx + a, jy + b);
        for (int c = 0; c < 3; c++) row[c] += wx[a] * Channel(p, chmap[c]);
      }
      for (int c = 0; c < 3; c++) acc[c] += wy[b] * row[c];
    }
    for (int c = 0; c < 3; c++) {
      const float v = std::min(std::max(acc[c], 0.0f), 255.0f);  // cubic overshoot stays in pixel range
      planes[c][u] = v * scale[c] + bias[c];
    }
  }
}

// Unsharp mask of one S x S plane: v + amount * (v - binomial3x3(v)), edges clamped.
void Sharpen(float* plane, int S, float amount, std::vector<float>* tmp) {
  tmp->resize(static_cast<size_t>(S) * S);
  float* h = tmp->data();
  for (int y = 0; y < S; y++) {
    const float* row = plane + static_cast<size_t>(y) * S;
    for (int x = 0; x < S; x++) {
      const float l = row[std::max(x - 1, 0)], m = row[x], rr = row[std::min(x + 1, S - 1)];
      h[static_cast<size_t>(y) * S + x] = 0.25f * l + 0.5f * m + 0.25f * rr;
    }
  }
  for (int y = 0; y < S; y++) {
    const float* up = h + static_cast<size_t>(std::max(y - 1, 0)) * S;
    const float* mid = h + static_cast<size_t>(y) * S;
    const float* dn = h + static_cast<size_t>(std::min(y + 1, S - 1)) * S;
    float* row = plane + static_cast<size_t>(y) * S;
    for (int x = 0; x < S; x++) {
      const float blur = 0.25f * up[x] + 0.5f * mid[x] + 0.25f * dn[x];
      row[x] += amount * (row[x] - blur);
    }
  }
}

}  // namespace

int AlignFaces(const FrameView& f, const float* landmarks, int n, const AlignParams& p, float* out, SimdLevel level) {
  const Kernels& kern = KernelsFor(level);
  const int S = p.size;
  const size_t plane = static_cast<size_t>(S) * S;
  float scale[3], bias[3];
  for (int c = 0; c < 3; c++) scale[c] = 1.0f / p.std[c], bias[c] = -p.mean[c] / p.std[c];
  const int chmap[3] = {p.bgr ? 2 : 0, 1, p.bgr ? 0 : 2};
  const int bv = static_cast<int>(std::lround(std::min(std::max(p.padValue, 0.0f), 255.0f)));
  const uint32_t border = Pack(bv, bv, bv);
  Region region;
  std::vector<float> sharpenTmp;
  for (int i = 0; i < n; i++) {
    double m[6];
    if (!FitSimilarity(landmarks + 10 * i, p.templ.data(), p.points.data(), static_cast<int>(p.points.size()), m)) {
      return i;
    }
    // Inverse map: frame = R^-1 (tensor - t).
    const double a = m[0], b = m[3], det = a * a + b * b;
    const double ia = a / det, ib = b / det;
    auto fx = [&](double u, double v) { return ia * (u - m[2]) + ib * (v - m[5]); };
    auto fy = [&](double u, double v) { return -ib * (u - m[2]) + ia * (v - m[5]); };
    const double s = std::sqrt(det);  // tensor px per frame px
    const int k = s < 0.5 ? std::min(static_cast<int>(std::floor(1.0 / s)), 64) : 1;
    // Frame point x -> grid point (x + 0.5) / k - 0.5.
    auto gxy = [&](double x) { return (x + 0.5) / k - 0.5; };
    double minx = 1e300, maxx = -1e300, miny = 1e300, maxy = -1e300;
    for (int cu = 0; cu < 2; cu++) {
      for (int cv = 0; cv < 2; cv++) {
        const double u = cu * (S - 1.0), v = cv * (S - 1.0);
        const double gx = gxy(fx(u, v)), gy = gxy(fy(u, v));
        minx = std::min(minx, gx), maxx = std::max(maxx, gx), miny = std::min(miny, gy), maxy = std::max(maxy, gy);
      }
    }
    const int gw = (f.width + k - 1) / k, gh = (f.height + k - 1) / k;
    const int reach = p.interpolation == 0 ? 0 : 1;  // bicubic and area read one grid pixel further
    const int gx0 = static_cast<int>(std::max(0.0, std::floor(minx) - reach));
    const int gy0 = static_cast<int>(std::max(0.0, std::floor(miny) - reach));
    const int gx1 = static_cast<int>(std::min(gw - 1.0, std::floor(maxx) + 1 + reach));
    const int gy1 = static_cast<int>(std::min(gh - 1.0, std::floor(maxy) + 1 + reach));
    if (gx1 < gx0 || gy1 < gy0 || maxx < -1 || maxy < -1 || minx > gw || miny > gh) {
      BuildRegion(f, kern, k, 0, 0, -1, -1, border, &region);  // entirely outside: border only
    } else {
      BuildRegion(f, kern, k, gx0, gy0, gx1, gy1, border, &region);
    }
    float* face = out + static_cast<size_t>(i) * 3 * plane;
    const float dxr = static_cast<float>(ia / k), dyr = static_cast<float>(-ib / k);
    for (int v = 0; v < S; v++) {
      const float x0 = static_cast<float>(gxy(fx(0, v)) - region.ox);
      const float y0 = static_cast<float>(gxy(fy(0, v)) - region.oy);
      float* planes[3] = {face + static_cast<size_t>(v) * S, face + plane + static_cast<size_t>(v) * S,
                          face + 2 * plane + static_cast<size_t>(v) * S};
      if (p.interpolation == 0) {
        kern.warprow(region.px.data(), region.w, region.h, x0, y0, dxr, dyr, S, chmap, scale, bias, planes);
      } else {
        WarpRowScalar(p.interpolation, region, x0, y0, dxr, dyr, S, chmap, scale, bias, planes);
      }
    }
    if (p.sharpen > 0 && s > 1) {
      for (int c = 0; c < 3; c++) Sharpen(face + c * plane, S, p.sharpen, &sharpenTmp);
    }
  }
  return -1;
}

}  // namespace image
}  // namespace livefr
