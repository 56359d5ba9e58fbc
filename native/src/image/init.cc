// N-API bindings of the image module. Every JS value is parsed into a plain
// baton on the JS thread; the AsyncWorkers' Execute() runs pure C++ over
// caller memory kept alive by references held on the worker.
#include <cmath>
#include <string>
#include <vector>

#include "livefr/common.h"
#include "livefr/frame_arg.h"
#include "livefr/image.h"
#include "livefr/worker.h"

namespace livefr {
namespace {

using image::Format;
using image::FrameView;

void ParseTriple(Napi::Env env, const Napi::Object& o, const char* key, const std::string& param, float* out,
                 bool positive) {
  Napi::Value v = o.Get(key);
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) ThrowType(env, param, "an array of 3 numbers");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < 3; i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) ThrowType(env, param, "an array of 3 numbers");
    const double d = e.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || (positive && !(d > 0))) ThrowRange(env, param, positive ? "positive finite numbers" : "finite numbers");
    out[i] = static_cast<float>(d);
  }
}

image::SimdLevel ParseLevel(Napi::Env env, const Napi::Value& v) {
  if (!v.IsString()) ThrowType(env, "level", "'auto', 'scalar', 'avx2' or 'avx512'");
  const std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "auto") return image::BestSimdLevel();
  if (s == "scalar") return image::SimdLevel::kScalar;
  if (s == "avx2") return image::SimdLevel::kAvx2;
  if (s == "avx512") return image::SimdLevel::kAvx512;
  ThrowRange(env, "level", "'auto', 'scalar', 'avx2' or 'avx512'");
}

// Largest tensor a call fills, in pixels (lib/preprocess.ts MAX_TENSOR_PIXELS).
constexpr int64_t kMaxTensorPixels = int64_t{4096} * 4096;

float* OutFloats(Napi::Env env, const Napi::Value& v, size_t expect, const std::string& param) {
  size_t count = 0;
  float* p = GetFloats(env, v, param, &count);
  if (count != expect) ThrowRange(env, param, "a Float32Array of exactly " + std::to_string(expect) + " values");
  return p;
}

// ---- letterbox(frame, params, out) -> Promise<void> -----------------------------
class LetterboxWorker : public PromiseWorker {
 public:
  LetterboxWorker(Napi::Env env) : PromiseWorker(env, "livefr.letterbox") {}
  FrameView frame;
  image::LetterboxParams p;
  float* out = nullptr;
  image::SimdLevel level = image::SimdLevel::kScalar;
  int threads = 1;
  void Run() override { image::Letterbox(frame, p, out, level, threads); }
};

Napi::Value Letterbox(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FrameArg fa = ParseFrame(env, info[0], "frame");
  if (!info[1].IsObject()) ThrowType(env, "options", "an options object");
  Napi::Object o = info[1].As<Napi::Object>();
  auto* w = new LetterboxWorker(env);
  try {
    image::LetterboxParams& p = w->p;
    const FrameView& f = fa.view;
    p.roiX = static_cast<int>(GetInt(env, o, "roiX", "options.roi.x", 0, f.width - 1));
    p.roiY = static_cast<int>(GetInt(env, o, "roiY", "options.roi.y", 0, f.height - 1));
    p.roiW = static_cast<int>(GetInt(env, o, "roiW", "options.roi.width", 1, f.width - p.roiX));
    p.roiH = static_cast<int>(GetInt(env, o, "roiH", "options.roi.height", 1, f.height - p.roiY));
    p.dstW = static_cast<int>(GetInt(env, o, "dstW", "options.width", 1, 16384));
    p.dstH = static_cast<int>(GetInt(env, o, "dstH", "options.height", 1, 16384));
    if (static_cast<int64_t>(p.dstW) * p.dstH > kMaxTensorPixels) ThrowRange(env, "options.width", "a tensor of at most 4096 x 4096 pixels");
    p.contentW = static_cast<int>(GetInt(env, o, "contentW", "options.width", 1, p.dstW));
    p.contentH = static_cast<int>(GetInt(env, o, "contentH", "options.height", 1, p.dstH));
    p.padX = static_cast<int>(GetInt(env, o, "padX", "options.width", 0, p.dstW - p.contentW));
    p.padY = static_cast<int>(GetInt(env, o, "padY", "options.height", 0, p.dstH - p.contentH));
    p.scaleX = GetNumber(env, o, "scaleX", "options.width");
    p.scaleY = GetNumber(env, o, "scaleY", "options.height");
    if (!(p.scaleX > 0) || !(p.scaleY > 0)) ThrowRange(env, "options.width", "a positive scale");
    ParseTriple(env, o, "mean", "options.mean", p.mean, false);
    ParseTriple(env, o, "std", "options.std", p.std, true);
    p.bgr = o.Get("bgr").ToBoolean().Value();
    p.padValue = static_cast<float>(GetNumber(env, o, "padValue", "options.padValue"));
    w->threads = static_cast<int>(GetInt(env, o, "threads", "options.threads", 1, 2));
    w->out = OutFloats(env, info[2], static_cast<size_t>(3) * p.dstW * p.dstH, "out");
  } catch (...) {
    delete w;
    throw;
  }
  w->frame = fa.view;
  w->level = image::CurrentSimdLevel();
  w->Keep(fa.data);
  w->Keep(info[2]);
  return w->Start();
}

// ---- alignFaces(frame, landmarks, params, out) -> Promise<void> ------------------
class AlignWorker : public PromiseWorker {
 public:
  AlignWorker(Napi::Env env) : PromiseWorker(env, "livefr.alignFaces") {}
  FrameView frame;
  image::AlignParams p;
  const float* landmarks = nullptr;
  int n = 0;
  float* out = nullptr;
  image::SimdLevel level = image::SimdLevel::kScalar;
  void Run() override {
    const int bad = image::AlignFaces(frame, landmarks, n, p, out, level);
    if (bad >= 0) {
      const std::string param = "landmarks[" + std::to_string(bad) + "]";
      throw RangeFailure("Expected distinct landmark points (they all coincide) for " + param, param);
    }
  }
};

Napi::Value AlignFaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FrameArg fa = ParseFrame(env, info[0], "frame");
  size_t nl = 0;
  const float* lm = GetFloats(env, info[1], "landmarks", &nl);
  if (nl == 0 || nl % 10 != 0) ThrowRange(env, "landmarks", "a Float32Array of n x 10 values");
  for (size_t i = 0; i < nl; i++) {
    // Finite and within +-1e7 px: far beyond any frame, and what float
    // arithmetic of the warp can map without losing every pixel of precision.
    if (!std::isfinite(lm[i]) || std::fabs(lm[i]) > 1e7f) ThrowRange(env, "landmarks", "finite coordinates within +-1e7 pixels");
  }
  if (!info[2].IsObject()) ThrowType(env, "options", "an options object");
  Napi::Object o = info[2].As<Napi::Object>();
  auto* w = new AlignWorker(env);
  try {
    image::AlignParams& p = w->p;
    p.size = static_cast<int>(GetInt(env, o, "size", "options.size", 2, 4096));
    size_t nt = 0;
    const float* t = GetFloats(env, o.Get("template"), "options.template", &nt);
    if (nt != 10) ThrowRange(env, "options.template", "a Float32Array of 10 values");
    p.templ.assign(t, t + 10);
    Napi::Value pts = o.Get("points");
    if (!pts.IsArray()) ThrowType(env, "options.points", "an array of landmark indices");
    Napi::Array pa = pts.As<Napi::Array>();
    if (pa.Length() < 2 || pa.Length() > 5) ThrowRange(env, "options.points", "2 to 5 landmark indices");
    for (uint32_t i = 0; i < pa.Length(); i++) {
      p.points.push_back(static_cast<int>(GetIntArg(env, pa.Get(i), "options.points", 0, 4)));
    }
    ParseTriple(env, o, "mean", "options.mean", p.mean, false);
    ParseTriple(env, o, "std", "options.std", p.std, true);
    p.bgr = o.Get("bgr").ToBoolean().Value();
    p.padValue = static_cast<float>(GetNumber(env, o, "padValue", "options.padValue"));
    if (!o.Get("interpolation").IsUndefined()) p.interpolation = static_cast<int>(GetInt(env, o, "interpolation", "options.interpolation", 0, 2));
    if (!o.Get("sharpen").IsUndefined()) {
      const double sh = GetNumber(env, o, "sharpen", "options.sharpen");
      if (!(sh >= 0 && sh <= 4)) ThrowRange(env, "options.sharpen", "a number from 0 to 4");
      p.sharpen = static_cast<float>(sh);
    }
    w->n = static_cast<int>(nl / 10);
    if (static_cast<int64_t>(w->n) * p.size * p.size > kMaxTensorPixels) {
      ThrowRange(env, "landmarks", "at most " + std::to_string(kMaxTensorPixels / (static_cast<int64_t>(p.size) * p.size)) + " faces per call at this size");
    }
    w->out = OutFloats(env, info[3], static_cast<size_t>(w->n) * 3 * p.size * p.size, "out");
  } catch (...) {
    delete w;
    throw;
  }
  w->frame = fa.view;
  w->landmarks = lm;
  w->level = image::CurrentSimdLevel();
  w->Keep(fa.data);
  w->Keep(info[1]);
  w->Keep(info[3]);
  return w->Start();
}

// ---- squareCrops(frame, crops, params, out) -> Promise<void> -----------------------
// crops: Int32Array of n x 7 (x, y, w, h, side, ox, oy); params { size, mean, std }.
class SquareWorker : public PromiseWorker {
 public:
  SquareWorker(Napi::Env env) : PromiseWorker(env, "livefr.squareCrops") {}
  FrameView frame;
  std::vector<image::SquareCrop> crops;
  image::SquareParams p;
  float* out = nullptr;
  image::SimdLevel level = image::SimdLevel::kScalar;
  void Run() override { image::SquareCrops(frame, crops.data(), static_cast<int>(crops.size()), p, out, level); }
};

Napi::Value SquareCropsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FrameArg fa = ParseFrame(env, info[0], "frame");
  const FrameView& f = fa.view;
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowType(env, "crops", "an Int32Array of n x 7 values (x, y, w, h, side, ox, oy)");
  }
  Napi::Int32Array ca = info[1].As<Napi::Int32Array>();
  if (ca.ElementLength() % 7 != 0) ThrowRange(env, "crops", "an Int32Array whose length is a multiple of 7");
  if (!info[2].IsObject()) ThrowType(env, "options", "an options object");
  Napi::Object o = info[2].As<Napi::Object>();
  auto* w = new SquareWorker(env);
  try {
    w->p.size = static_cast<int>(GetInt(env, o, "size", "options.size", 1, 4096));
    float mean[3], stdv[3];
    ParseTriple(env, o, "mean", "options.mean", mean, false);
    ParseTriple(env, o, "std", "options.std", stdv, true);
    for (int c = 0; c < 3; c++) w->p.mean[c] = mean[c], w->p.std[c] = stdv[c];
    const size_t n = ca.ElementLength() / 7;
    const int32_t* v = ca.Data();
    for (size_t i = 0; i < n; i++) {
      image::SquareCrop q{v[7 * i], v[7 * i + 1], v[7 * i + 2], v[7 * i + 3], v[7 * i + 4], v[7 * i + 5], v[7 * i + 6]};
      const std::string param = "crops[" + std::to_string(i) + "]";
      if (q.x < 0 || q.y < 0 || q.w < 1 || q.h < 1 || q.x > f.width - q.w || q.y > f.height - q.h) {
        ThrowRange(env, param, "a region inside the frame");
      }
      if (q.ox < 0 || q.oy < 0 || q.side < 1 || q.side > 65536 || q.w > q.side - q.ox || q.h > q.side - q.oy) {
        ThrowRange(env, param, "a square that holds the region at its offset");
      }
      w->crops.push_back(q);
    }
    if (static_cast<int64_t>(n) * w->p.size * w->p.size > kMaxTensorPixels) ThrowRange(env, "crops", "at most 4096 x 4096 crop pixels per call");
    w->out = OutFloats(env, info[3], n * 3 * static_cast<size_t>(w->p.size) * w->p.size, "out");
  } catch (...) {
    delete w;
    throw;
  }
  w->frame = f;
  w->level = image::CurrentSimdLevel();
  w->Keep(fa.data);
  w->Keep(info[3]);
  return w->Start();
}

// ---- similarityTransform(src, dst) -> Float64Array(6) ------------------------------
Napi::Value SimilarityTransform(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t ns = 0, nd = 0;
  const float* s = GetFloats(env, info[0], "src", &ns);
  const float* d = GetFloats(env, info[1], "dst", &nd);
  if (ns < 4 || ns % 2 != 0 || ns > 2 * 1024) ThrowRange(env, "src", "a Float32Array of 2 to 1024 points (x, y)");
  if (nd != ns) ThrowRange(env, "dst", "as many points as src");
  for (size_t i = 0; i < ns; i++) {
    if (!std::isfinite(s[i])) ThrowRange(env, "src", "finite values");
    if (!std::isfinite(d[i])) ThrowRange(env, "dst", "finite values");
  }
  std::vector<int> pts(ns / 2);
  for (size_t i = 0; i < pts.size(); i++) pts[i] = static_cast<int>(i);
  double m[6];
  if (!image::FitSimilarity(s, d, pts.data(), static_cast<int>(pts.size()), m)) {
    ThrowRange(env, "src", "distinct points (they all coincide)");
  }
  Napi::Float64Array r = Napi::Float64Array::New(env, 6);
  for (int i = 0; i < 6; i++) r[i] = m[i];
  return r;
}

// ---- convertColor(frame, to, out) -> Promise<void> ---------------------------------
class ConvertWorker : public PromiseWorker {
 public:
  ConvertWorker(Napi::Env env) : PromiseWorker(env, "livefr.convertColor") {}
  FrameView frame;
  image::Target to = image::Target::kRgb;
  uint8_t* out = nullptr;
  image::SimdLevel level = image::SimdLevel::kScalar;
  void Run() override { image::ConvertColor(frame, to, out, level); }
};

Napi::Value ConvertColor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FrameArg fa = ParseFrame(env, info[0], "frame");
  if (!info[1].IsString()) ThrowType(env, "to", "'rgb', 'bgr' or 'gray'");
  const std::string to = info[1].As<Napi::String>().Utf8Value();
  image::Target t;
  if (to == "rgb") t = image::Target::kRgb;
  else if (to == "bgr") t = image::Target::kBgr;
  else if (to == "gray") t = image::Target::kGray;
  else ThrowRange(env, "to", "'rgb', 'bgr' or 'gray'");
  ByteView outb = GetBytes(env, info[2], "out");
  const size_t need = static_cast<size_t>(fa.view.width) * fa.view.height * (t == image::Target::kGray ? 1 : 3);
  if (outb.length != need) ThrowRange(env, "out", "a Uint8Array of exactly " + std::to_string(need) + " bytes");
  auto* w = new ConvertWorker(env);
  w->frame = fa.view;
  w->to = t;
  w->out = outb.data;
  w->level = image::CurrentSimdLevel();
  w->Keep(fa.data);
  w->Keep(info[2]);
  return w->Start();
}

Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const image::SimdLevel level = ParseLevel(env, info[0]);
  if (!image::SetSimdLevel(level)) {
    ThrowRange(env, "level", std::string("a SIMD level this CPU and build support (best here: '") +
                                 image::SimdLevelName(image::BestSimdLevel()) + "')");
  }
  return Napi::String::New(env, image::SimdLevelName(image::CurrentSimdLevel()));
}

Napi::Value SimdLevel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), image::SimdLevelName(image::CurrentSimdLevel()));
}

Napi::Value BestSimd(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), image::SimdLevelName(image::BestSimdLevel()));
}

}  // namespace

void InitImage(Napi::Env env, Napi::Object exports) {
  exports.Set("letterbox", Napi::Function::New(env, Letterbox, "letterbox"));
  exports.Set("alignFaces", Napi::Function::New(env, AlignFaces, "alignFaces"));
  exports.Set("similarityTransform", Napi::Function::New(env, SimilarityTransform, "similarityTransform"));
  exports.Set("convertColor", Napi::Function::New(env, ConvertColor, "convertColor"));
  exports.Set("squareCrops", Napi::Function::New(env, SquareCropsJs, "squareCrops"));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd, "setSimd"));
  exports.Set("simdLevel", Napi::Function::New(env, SimdLevel, "simdLevel"));
  exports.Set("bestSimd", Napi::Function::New(env, BestSimd, "bestSimd"));
}

}  // namespace livefr
