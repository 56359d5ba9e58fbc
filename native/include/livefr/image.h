// Image preprocessing core: frames in every pixel format, colour conversion,
// letterbox resize + normalisation into NCHW float tensors, and 5-point
// similarity alignment warps. Pure C++ (no N-API) below the bindings, so the
// AsyncWorkers' Execute() can run it off the JS thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace livefr {
namespace image {

enum class Format : int { kRgb = 0, kBgr, kRgba, kBgra, kGray, kNv12, kI420 };

// A frame in caller memory, sizes already checked against the buffer.
struct FrameView {
  const uint8_t* data = nullptr;
  size_t byteLength = 0;
  int width = 0;
  int height = 0;
  Format format = Format::kRgb;
  int stride = 0;        // bytes per row of the (first) plane
  int chromaStride = 0;  // bytes per row of the chroma planes (nv12, i420)
};

// Channels of a packed format (1 for the planar YUV formats' Y plane).
int ChannelsOf(Format f);
// Bytes a frame of this layout spans; 0 when the layout itself is invalid.
size_t RequiredBytes(Format f, int width, int height, int stride);

// (static: each SIMD translation unit keeps its own copy, no ODR mixing.)
// BT.601 limited range ("studio swing") YUV -> RGB in 8.8 fixed point,
// the integer formula documented in docs/preprocessing.md.
static inline uint8_t Clamp255(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }
static inline void YuvToRgb(int y, int u, int v, uint8_t* rgb) {
  const int c = 298 * (y - 16) + 128;
  const int d = u - 128;
  const int e = v - 128;
  rgb[0] = Clamp255((c + 409 * e) >> 8);
  rgb[1] = Clamp255((c - 100 * d - 208 * e) >> 8);
  rgb[2] = Clamp255((c + 516 * d) >> 8);
}
// BT.601 full-range luma in 8.8 fixed point.
static inline uint8_t Luma(int r, int g, int b) { return static_cast<uint8_t>((77 * r + 150 * g + 29 * b + 128) >> 8); }

// Converts pixels [x0, x0 + n) of row y to packed RGB (3 bytes per pixel).
void RowToRgb(const FrameView& f, int y, int x0, int n, uint8_t* rgb);

// SIMD levels, chosen at run time from the CPU features.
enum class SimdLevel : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
SimdLevel BestSimdLevel();
SimdLevel CurrentSimdLevel();
bool SetSimdLevel(SimdLevel level);  // false when not available here
const char* SimdLevelName(SimdLevel level);

// The hot loops, one table per SIMD level.
struct Kernels {
  // out[i] = sum_k w[k] * rows[k][i] for i < n (bytes in, floats out).
  void (*vcombine)(const uint8_t* const* rows, const float* w, int count, int n, float* out);
  // Horizontal resample + normalise into three planes:
  // planes[c][x] = scale[c] * sum_j w[j*nx+x] * acc[idx[j*nx+x] + chmap[c]] + bias[c].
  // C is the channels per pixel in acc; for C >= 3, acc must hold 4 readable
  // floats past its last pixel (SIMD kernels load whole pixels).
  void (*hresample)(const float* acc, int C, const int32_t* idx, const float* w, int taps, int nx, const int* chmap,
                    const float* scale, const float* bias, float* const* planes);
  // One output row of an affine warp from an RGBX region (R in the low byte):
  // pixel u samples region point (x0 + u*dx, y0 + u*dy), bilinear, clamped to
  // the region (whose outer ring holds the border value).
  void (*warprow)(const uint32_t* region, int rw, int rh, float x0, float y0, float dx, float dy, int n,
                  const int* chmap, const float* scale, const float* bias, float* const* planes);
  // NV12 / I420 row to packed RGB: y, u, v point at pixel 0 of the row;
  // uvStep is 2 for NV12 (interleaved) and 1 for I420.
  void (*yuvrow)(const uint8_t* y, const uint8_t* u, const uint8_t* v, int uvStep, int x0, int n, uint8_t* rgb);
  // Packed pixels (C = 1, 3 or 4 bytes each, bgr = R and B swapped) to RGBX
  // words (R in the low byte): dst[i] = pixel i of src, i < n.
  void (*packrow)(const uint8_t* src, int C, bool bgr, int n, uint32_t* dst);
  // Optional (null when a level has none): 3x3 area average of packed 3-byte
  // pixels, the exact 1/3 shrink. Output pixel x of the three source rows
  // r[0..2] (9*nx bytes each) is the byte sum over its 3x3 block / 9, mapped
  // and normalised into planes like hresample. scratch holds 18*nx + 64 uint16.
  void (*area3rgb)(const uint8_t* const* r, int nx, const int* chmap, const float* scale, const float* bias,
                   float* const* planes, uint16_t* scratch);
};
const Kernels& ScalarKernels();
#if defined(LIVEFR_SIMD)
const Kernels& Avx2Kernels();
const Kernels& Avx512Kernels();
#endif
const Kernels& KernelsFor(SimdLevel level);
// RowToRgb with the YUV rows converted by the given kernels.
void RowToRgbWith(const Kernels& k, const FrameView& f, int y, int x0, int n, uint8_t* rgb);

// ---- letterbox ---------------------------------------------------------------
struct LetterboxParams {
  int roiX = 0, roiY = 0, roiW = 0, roiH = 0;
  int dstW = 0, dstH = 0;
  double scaleX = 1, scaleY = 1;  // tensor px per source px
  int padX = 0, padY = 0;
  int contentW = 0, contentH = 0;
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
  bool bgr = false;  // tensor channel order
  float padValue = 0;
};

// Filter taps along one axis: output i reads source start[i] .. start[i]+taps-1
// with weights w[j*n + i] (zero past the real count).
struct Taps {
  int n = 0;
  int taps = 0;
  std::vector<int32_t> start;
  std::vector<int32_t> count;
  std::vector<float> w;
};
// Bilinear with pixel-centre alignment when src px per dst px <= 2, area
// averaging beyond that.
Taps ComputeTaps(int srcLen, int dstLen, double scale);

// threads > 1 lets a large job split its rows over two threads.
void Letterbox(const FrameView& f, const LetterboxParams& p, float* out, SimdLevel level, int threads = 1);

// ---- alignment -----------------------------------------------------------------
// Least-squares similarity (4 DOF) mapping src points onto dst points:
// dst = [[a, -b], [b, a]] * src + [tx, ty]. m = {a, -b, tx, b, a, ty}.
// Returns false when the source points are degenerate (all equal).
bool FitSimilarity(const float* src, const float* dst, const int* points, int count, double* m);

struct AlignParams {
  int size = 112;
  std::vector<float> templ;  // 10 floats
  std::vector<int> points;   // landmark indices used for the fit
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
  bool bgr = false;
  float padValue = 0;
  // Sampling of the inverse-mapped warp: 0 bilinear (SIMD row kernels),
  // 1 bicubic (Keys, a = -0.5), 2 area (the output pixel's footprint
  // integrated over the grid pixels it covers). Scalar for 1 and 2.
  int interpolation = 0;
  // Unsharp mask (3x3 binomial) of this amount on faces the warp enlarges
  // (tensor px per frame px > 1); 0 = off.
  float sharpen = 0;
};
// Warps each face (10 floats of landmarks) into out + i*3*size*size.
// Returns the index of the first face whose landmarks are degenerate, or -1.
int AlignFaces(const FrameView& f, const float* landmarks, int n, const AlignParams& p, float* out, SimdLevel level);

// ---- square crops (TensorFlow's legacy bilinear) ------------------------------------
// One crop: the region (x, y, w, h) of the frame placed at (ox, oy) in a
// square of side `side` whose other pixels are 0, resized to size x size
// with TensorFlow's bilinear without half-pixel centres (src = dst * side /
// size, the last row and column clamped), then (v - mean) / std, NCHW. This
// is what face-api.js feeds its networks (padToSquare + resizeBilinear).
struct SquareCrop {
  int x = 0, y = 0, w = 1, h = 1;
  int side = 1, ox = 0, oy = 0;
};
struct SquareParams {
  int size = 1;
  double mean[3] = {0, 0, 0};
  double std[3] = {1, 1, 1};
};
// Crop i goes to out + i * 3 * size * size. The crops were checked to lie
// inside the frame and their squares to hold them.
void SquareCrops(const FrameView& f, const SquareCrop* crops, int n, const SquareParams& p, float* out, SimdLevel level);

// ---- colour conversion ----------------------------------------------------------
enum class Target : int { kRgb = 0, kBgr, kGray };
void ConvertColor(const FrameView& f, Target to, uint8_t* out, SimdLevel level);

}  // namespace image
}  // namespace livefr
