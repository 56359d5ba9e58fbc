// 5-point similarity alignment: least-squares fit, then an inverse-mapped
// bilinear warp of each face into a size x size NCHW crop.
//
// The part of the frame a face needs is first converted to an RGBX region
// with a one-pixel ring of border value around it, so the SIMD row kernels
// can gather 4 neighbours without bounds checks. When the face is more than
// twice the crop's size, the region is box-filtered by an integer factor k
// (k x k source pixels per region pixel) so the warp does not alias.
#include <algorithm>
#include <cmath>

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
    const int gx0 = static_cast<int>(std::max(0.0, std::floor(minx)));
    const int gy0 = static_cast<int>(std::max(0.0, std::floor(miny)));
    const int gx1 = static_cast<int>(std::min(gw - 1.0, std::floor(maxx) + 1));
    const int gy1 = static_cast<int>(std::min(gh - 1.0, std::floor(maxy) + 1));
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
      kern.warprow(region.px.data(), region.w, region.h, x0, y0, dxr, dyr, S, chmap, scale, bias, planes);
    }
  }
  return -1;
}

}  // namespace image
}  // namespace livefr
