// Letterbox / resize + normalise into an NCHW float tensor.
//
// Separable: for each tensor row, the source rows it needs are combined
// vertically (bytes -> floats, every channel of the ROI span at once), then
// resampled horizontally with the channel map and normalisation fused in.
// NV12/I420 rows are converted to RGB first, through a small row cache.
#include <algorithm>
#include <cmath>
#include <thread>

#include "livefr/image.h"

namespace livefr {
namespace image {

Taps ComputeTaps(int srcLen, int dstLen, double scale) {
  Taps t;
  t.n = dstLen;
  const double f = 1.0 / scale;  // source px per tensor px
  std::vector<std::vector<std::pair<int, double>>> per(static_cast<size_t>(dstLen));
  for (int i = 0; i < dstLen; i++) {
    auto& taps = per[static_cast<size_t>(i)];
    if (f > 2.0) {
      // Area averaging over the tensor pixel's footprint [i*f, (i+1)*f).
      const double a = i * f, b = std::min((i + 1) * f, static_cast<double>(srcLen));
      const int s = static_cast<int>(std::floor(a));
      const int e = std::min(static_cast<int>(std::ceil(b)), srcLen);
      double sum = 0;
      for (int px = s; px < e; px++) {
        const double ov = std::min(px + 1.0, b) - std::max(static_cast<double>(px), a);
        if (ov > 1e-9) taps.emplace_back(px, ov), sum += ov;
      }
      if (taps.empty()) taps.emplace_back(std::min(s, srcLen - 1), sum = 1.0);
      for (auto& tp : taps) tp.second /= sum;
    } else {
      // Bilinear, pixel centres aligned (cv2 INTER_LINEAR), edges replicated.
      double sx = (i + 0.5) * f - 0.5;
      sx = std::min(std::max(sx, 0.0), static_cast<double>(srcLen - 1));
      const int x0 = static_cast<int>(std::floor(sx));
      if (x0 >= srcLen - 1) {
        taps.emplace_back(srcLen - 1, 1.0);
      } else {
        const double fx = sx - x0;
        taps.emplace_back(x0, 1.0 - fx);
        taps.emplace_back(x0 + 1, fx);
      }
    }
    t.taps = std::max(t.taps, static_cast<int>(taps.size()));
  }
  t.start.resize(static_cast<size_t>(dstLen));
  t.count.resize(static_cast<size_t>(dstLen));
  t.w.assign(static_cast<size_t>(t.taps) * dstLen, 0.0f);
  for (int i = 0; i < dstLen; i++) {
    const auto& taps = per[static_cast<size_t>(i)];
    t.start[static_cast<size_t>(i)] = taps[0].first;
    t.count[static_cast<size_t>(i)] = static_cast<int32_t>(taps.size());
    for (size_t j = 0; j < taps.size(); j++) t.w[j * dstLen + i] = static_cast<float>(taps[j].second);
  }
  return t;
}

namespace {

// Source channel feeding each tensor channel.
void ChannelMap(Format f, bool bgr, int* chmap) {
  const bool srcBgr = f == Format::kBgr || f == Format::kBgra;
  if (f == Format::kGray) {
    chmap[0] = chmap[1] = chmap[2] = 0;
  } else if (srcBgr != bgr) {
    chmap[0] = 2, chmap[1] = 1, chmap[2] = 0;
  } else {
    chmap[0] = 0, chmap[1] = 1, chmap[2] = 2;
  }
}

void FillPad(float* out, const LetterboxParams& p, const float* padv) {
  const size_t plane = static_cast<size_t>(p.dstW) * p.dstH;
  for (int c = 0; c < 3; c++) {
    float* pl = out + c * plane;
    for (int y = 0; y < p.dstH; y++) {
      float* row = pl + static_cast<size_t>(y) * p.dstW;
      if (y < p.padY || y >= p.padY + p.contentH) {
        std::fill(row, row + p.dstW, padv[c]);
      } else {
        std::fill(row, row + p.padX, padv[c]);
        std::fill(row + p.padX + p.contentW, row + p.dstW, padv[c]);
      }
    }
  }
}

// Converted NV12/I420 rows, kept while consecutive tensor rows reuse them.
class RowCache {
 public:
  RowCache(const FrameView& f, const Kernels& k, int x0, int n, int slots)
      : f_(f), k_(k), x0_(x0), n_(n), tags_(static_cast<size_t>(slots), -1),
        buf_(static_cast<size_t>(slots) * n * 3) {}
  const uint8_t* Row(int y) {
    const size_t slot = static_cast<size_t>(y) % tags_.size();
    uint8_t* dst = buf_.data() + slot * n_ * 3;
    if (tags_[slot] != y) {
      const uint8_t* yr = f_.data + static_cast<size_t>(y) * f_.stride;
      const uint8_t* u = f_.data + static_cast<size_t>(f_.stride) * f_.height + static_cast<size_t>(y / 2) * f_.chromaStride;
      if (f_.format == Format::kNv12) {
        k_.yuvrow(yr, u, u + 1, 2, x0_, n_, dst);
      } else {
        const uint8_t* v = u + static_cast<size_t>((f_.height + 1) / 2) * f_.chromaStride;
        k_.yuvrow(yr, u, v, 1, x0_, n_, dst);
      }
      tags_[slot] = y;
    }
    return dst;
  }

 private:
  const FrameView& f_;
  const Kernels& k_;
  int x0_, n_;
  std::vector<int> tags_;
  std::vector<uint8_t> buf_;
};

}  // namespace

void Letterbox(const FrameView& f, const LetterboxParams& p, float* out, SimdLevel level, int threads) {
  const Kernels& k = KernelsFor(level);
  float scale[3], bias[3], padv[3];
  for (int c = 0; c < 3; c++) {
    scale[c] = 1.0f / p.std[c];
    bias[c] = -p.mean[c] / p.std[c];
    padv[c] = (p.padValue - p.mean[c]) / p.std[c];
  }
  FillPad(out, p, padv);
  const bool yuv = f.format == Format::kNv12 || f.format == Format::kI420;
  const int C = yuv ? 3 : ChannelsOf(f.format);
  int chmap[3];
  ChannelMap(f.format, p.bgr, chmap);
  const size_t plane = static_cast<size_t>(p.dstW) * p.dstH;
  // The exact 1/3 shrink of packed RGB/BGR (1920x1080 -> 640x360): each tensor
  // pixel is the mean of a 3x3 block, summed exactly in integers.
  const auto isThird = [](double s) { return std::abs(1.0 / s - 3.0) < 1e-9; };
  if (k.area3rgb && C == 3 && !yuv && p.roiW == 3 * p.contentW && p.roiH == 3 * p.contentH && isThird(p.scaleX) &&
      isThird(p.scaleY)) {
    // One thread: a second one (started per call) lowered the minimum here
    // (0.40 vs 0.52 ms) but raised the median (0.93 vs 0.71 ms) on 2 cores,
    // where it competes with the JS thread; see docs/preprocessing.md.
    // (The result does not depend on the thread count either way.)
    {
      std::vector<uint16_t> scratch(static_cast<size_t>(p.contentW) * 18 + 64);
      for (int y = 0; y < p.contentH; y++) {
        const uint8_t* rows[3];
        for (int j = 0; j < 3; j++) {
          rows[j] = f.data + static_cast<size_t>(p.roiY + 3 * y + j) * f.stride + static_cast<size_t>(p.roiX) * 3;
        }
        const size_t off = static_cast<size_t>(p.padY + y) * p.dstW + p.padX;
        float* planes[3] = {out + off, out + plane + off, out + 2 * plane + off};
        k.area3rgb(rows, p.contentW, chmap, scale, bias, planes, scratch.data());
      }
    }
    return;
  }
  const Taps h = ComputeTaps(p.roiW, p.contentW, p.scaleX);
  const Taps v = ComputeTaps(p.roiH, p.contentH, p.scaleY);
  // Horizontal indices (element offset of each tap's pixel in the ROI row).
  std::vector<int32_t> idx(static_cast<size_t>(h.taps) * h.n);
  for (int j = 0; j < h.taps; j++) {
    for (int x = 0; x < h.n; x++) {
      idx[static_cast<size_t>(j) * h.n + x] = std::min(h.start[static_cast<size_t>(x)] + j, p.roiW - 1) * C;
    }
  }
  const int rowLen = p.roiW * C;
  // Tensor rows [y0, y1), with their own scratch (so two threads can split a frame).
  auto rowsRange = [&](int y0, int y1) {
    std::vector<float> acc(static_cast<size_t>(rowLen) + 4, 0.0f);  // + 4: whole-pixel SIMD loads
    std::vector<const uint8_t*> rows(static_cast<size_t>(v.taps));
    std::vector<float> vw(static_cast<size_t>(v.taps));
    RowCache cache(f, k, p.roiX, p.roiW, yuv ? v.taps + 1 : 1);
    for (int y = y0; y < y1; y++) {
      const int count = v.count[static_cast<size_t>(y)];
      for (int j = 0; j < count; j++) {
        const int sy = p.roiY + v.start[static_cast<size_t>(y)] + j;
        rows[static_cast<size_t>(j)] =
            yuv ? cache.Row(sy) : f.data + static_cast<size_t>(sy) * f.stride + static_cast<size_t>(p.roiX) * C;
        vw[static_cast<size_t>(j)] = v.w[static_cast<size_t>(j) * v.n + y];
      }
      k.vcombine(rows.data(), vw.data(), count, rowLen, acc.data());
      const size_t off = static_cast<size_t>(p.padY + y) * p.dstW + p.padX;
      float* planes[3] = {out + off, out + plane + off, out + 2 * plane + off};
      k.hresample(acc.data(), C, idx.data(), h.w.data(), h.taps, h.n, chmap, scale, bias, planes);
    }
  };
  // Large jobs (a camera frame into a detector input) are split over two
  // threads; small ones (tiles, thumbnails) are not worth a thread start.
  const double work = static_cast<double>(p.contentH) * (static_cast<double>(rowLen) * v.taps + p.contentW * 3.0 * h.taps);
  if (threads > 1 && work > 4e6 && p.contentH >= 64) {
    const int mid = p.contentH / 2;
    std::thread other(rowsRange, mid, p.contentH);
    rowsRange(0, mid);
    other.join();
  } else {
    rowsRange(0, p.contentH);
  }
}

}  // namespace image
}  // namespace livefr
