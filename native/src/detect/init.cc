// N-API binding of the detector post-processing.
//
//   detectPostprocess(job) -> Promise<Float32Array>   (n x 15 floats)
//
// job = { family: 'yunet'|'scrfd'|'retinaface'|'ultraface'|'candidates',
//         landmarks, minScore, iouThreshold, minFaceSize, maxFaces,
//         clipWidth, clipHeight,
//         passes: [{ inputWidth, inputHeight, outputs: Float32Array[],
//                    scale, padX, padY, originX, originY,
//                    rect?: [x1, y1, x2, y2], innerEdges? }] }
//
// Every value is parsed into livefr::detect::Params on the JS thread; the
// output arrays stay referenced by the worker until it settles; Execute()
// touches no N-API. Each returned row is x1, y1, x2, y2, score, then the 5
// landmarks as x, y pairs, in frame pixels, best score first.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "livefr/common.h"
#include "livefr/detect.h"
#include "livefr/worker.h"

namespace livefr {

namespace {

using detect::Candidate;
using detect::Family;
using detect::Params;
using detect::Pass;

Family ParseFamily(Napi::Env env, const Napi::Value& v) {
  if (!v.IsString()) ThrowType(env, "job.family", "a family name");
  const std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "yunet") return Family::Yunet;
  if (s == "scrfd") return Family::Scrfd;
  if (s == "retinaface") return Family::RetinaFace;
  if (s == "ultraface") return Family::UltraFace;
  if (s == "candidates") return Family::Candidates;
  ThrowRange(env, "job.family", "one of 'yunet', 'scrfd', 'retinaface', 'ultraface', 'candidates'");
}

float GetFloat(Napi::Env env, const Napi::Object& o, const char* key, const std::string& param, double min,
               double max) {
  double d = GetNumber(env, o, key, param);
  if (d < min || d > max) ThrowRange(env, param, "a number between " + std::to_string(min) + " and " + std::to_string(max));
  return static_cast<float>(d);
}

class PostprocessWorker : public PromiseWorker {
 public:
  PostprocessWorker(Napi::Env env, Params params) : PromiseWorker(env, "livefr.detectPostprocess"), params_(std::move(params)) {}

 private:
  void Run() override { faces_ = detect::DetectPostprocess(params_); }

  Napi::Value Result(Napi::Env env) override {
    const size_t n = faces_.size();
    Napi::Float32Array out = Napi::Float32Array::New(env, n * detect::kCandidateFloats);
    float* d = out.Data();
    for (size_t i = 0; i < n; i++) {
      const Candidate& c = faces_[i];
      float* row = d + i * detect::kCandidateFloats;
      row[0] = c.x1;
      row[1] = c.y1;
      row[2] = c.x2;
      row[3] = c.y2;
      row[4] = c.score;
      std::memcpy(row + 5, c.lm, sizeof(c.lm));
    }
    return out;
  }

  Params params_;
  std::vector<Candidate> faces_;
};

void ParsePass(Napi::Env env, const Napi::Value& v, const std::string& param, Params* p,
               std::vector<Napi::Value>* keep) {
  if (!v.IsObject()) ThrowType(env, param, "a pass object");
  Napi::Object o = v.As<Napi::Object>();
  Pass pass;
  pass.inputWidth = static_cast<int>(GetInt(env, o, "inputWidth", param + ".inputWidth", 1, 65536));
  pass.inputHeight = static_cast<int>(GetInt(env, o, "inputHeight", param + ".inputHeight", 1, 65536));
  pass.scale = GetFloat(env, o, "scale", param + ".scale", 1e-6, 1e6);
  pass.padX = GetFloat(env, o, "padX", param + ".padX", -1e7, 1e7);
  pass.padY = GetFloat(env, o, "padY", param + ".padY", -1e7, 1e7);
  pass.originX = GetFloat(env, o, "originX", param + ".originX", -1e7, 1e7);
  pass.originY = GetFloat(env, o, "originY", param + ".originY", -1e7, 1e7);
  Napi::Value rect = o.Get("rect");
  if (!rect.IsUndefined()) {
    if (!rect.IsArray() || rect.As<Napi::Array>().Length() != 4) ThrowType(env, param + ".rect", "an array of 4 numbers");
    Napi::Array r = rect.As<Napi::Array>();
    for (uint32_t k = 0; k < 4; k++) {
      Napi::Value e = r.Get(k);
      if (!e.IsNumber()) ThrowType(env, param + ".rect", "an array of 4 numbers");
      pass.rect[k] = e.As<Napi::Number>().FloatValue();
    }
    Napi::Value edges = o.Get("innerEdges");
    if (!edges.IsUndefined()) pass.innerEdges = static_cast<uint32_t>(GetIntArg(env, edges, param + ".innerEdges", 0, 15));
  }
  Napi::Value outs = o.Get("outputs");
  if (!outs.IsArray()) ThrowType(env, param + ".outputs", "an array of Float32Array");
  Napi::Array arr = outs.As<Napi::Array>();
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value t = arr.Get(k);
    detect::TensorView view;
    view.data = GetFloats(env, t, param + ".outputs[" + std::to_string(k) + "]", &view.length);
    keep->push_back(t);
    pass.outputs.push_back(view);
  }
  std::string problem = detect::CheckPass(*p, pass);
  if (!problem.empty()) ThrowRange(env, param + ".outputs", problem);
  p->passes.push_back(std::move(pass));
}

Napi::Value DetectPostprocessJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) ThrowType(env, "job", "a post-processing job object");
  Napi::Object job = info[0].As<Napi::Object>();
  Params p;
  p.family = ParseFamily(env, job.Get("family"));
  Napi::Value lm = job.Get("landmarks");
  if (!lm.IsBoolean()) ThrowType(env, "job.landmarks", "a boolean");
  p.landmarks = lm.As<Napi::Boolean>().Value();
  p.minScore = GetFloat(env, job, "minScore", "job.minScore", 0.0, 1.0);
  p.iouThreshold = GetFloat(env, job, "iouThreshold", "job.iouThreshold", 0.0, 1.0);
  p.minFaceSize = GetFloat(env, job, "minFaceSize", "job.minFaceSize", 0.0, 1e7);
  p.maxFaces = static_cast<int>(GetInt(env, job, "maxFaces", "job.maxFaces", 0, 1 << 30));
  p.clipWidth = GetFloat(env, job, "clipWidth", "job.clipWidth", 0.0, 1e7);
  p.clipHeight = GetFloat(env, job, "clipHeight", "job.clipHeight", 0.0, 1e7);
  Napi::Value passes = job.Get("passes");
  if (!passes.IsArray()) ThrowType(env, "job.passes", "an array of passes");
  Napi::Array arr = passes.As<Napi::Array>();
  std::vector<Napi::Value> keep;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    ParsePass(env, arr.Get(i), "job.passes[" + std::to_string(i) + "]", &p, &keep);
  }
  auto* worker = new PostprocessWorker(env, std::move(p));
  for (const Napi::Value& v : keep) worker->Keep(v);
  return worker->Start();
}

}  // namespace

void InitDetect(Napi::Env env, Napi::Object exports) {
  exports.Set("detectPostprocess", Napi::Function::New(env, DetectPostprocessJs, "detectPostprocess"));
}

}  // namespace livefr
