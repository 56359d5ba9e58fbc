// Per-family decoding of raw detector outputs into candidates in tensor
// pixel coordinates. Each decoder checks the score first and only then
// computes the box, so the cost is dominated by one pass over the scores.
#include <algorithm>
#include <cmath>

#include "livefr/detect.h"

namespace livefr {
namespace detect {

namespace {

// A candidate from its corners (landmarks zero until set).
Candidate CornerBox(float x1, float y1, float x2, float y2, float score) {
  Candidate c{};
  c.x1 = x1;
  c.y1 = y1;
  c.x2 = x2;
  c.y2 = y2;
  c.score = score;
  return c;
}

// A candidate from its centre and size.
Candidate CentreBox(float cx, float cy, float w, float h, float score) {
  return CornerBox(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score);
}

}  // namespace

namespace {

constexpr int kStrides[3] = {8, 16, 32};

// RetinaFace (biubug6) prior boxes: two min sizes per step.
constexpr int kRetinaSteps[3] = {8, 16, 32};
constexpr float kRetinaMinSizes[3][2] = {{16.f, 32.f}, {64.f, 128.f}, {256.f, 512.f}};
constexpr float kRetinaVariance0 = 0.1f;
constexpr float kRetinaVariance1 = 0.2f;

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

size_t RetinaPriorCount(int w, int h) {
  size_t n = 0;
  for (int s : kRetinaSteps) n += static_cast<size_t>(CeilDiv(w, s)) * CeilDiv(h, s) * 2;
  return n;
}

std::string Expect(const std::string& what, size_t want, size_t got) {
  return what + " of " + std::to_string(want) + " floats (got " + std::to_string(got) + ")";
}

}  // namespace

std::string CheckPass(const Params& p, const Pass& pass) {
  const int w = pass.inputWidth, h = pass.inputHeight;
  const auto& o = pass.outputs;
  if (w <= 0 || h <= 0) return "a positive input size";
  switch (p.family) {
    case Family::Yunet: {
      if (w % 32 || h % 32) return "an input size that is a multiple of 32";
      if (o.size() != 12) return "12 outputs (cls, obj, bbox, kps at strides 8, 16, 32)";
      for (int k = 0; k < 3; k++) {
        size_t n = static_cast<size_t>(w / kStrides[k]) * (h / kStrides[k]);
        if (o[k].length != n) return Expect("cls at stride " + std::to_string(kStrides[k]), n, o[k].length);
        if (o[3 + k].length != n) return Expect("obj at stride " + std::to_string(kStrides[k]), n, o[3 + k].length);
        if (o[6 + k].length != 4 * n) return Expect("bbox at stride " + std::to_string(kStrides[k]), 4 * n, o[6 + k].length);
        if (o[9 + k].length != 10 * n) return Expect("kps at stride " + std::to_string(kStrides[k]), 10 * n, o[9 + k].length);
      }
      return "";
    }
    case Family::Scrfd: {
      if (w % 32 || h % 32) return "an input size that is a multiple of 32";
      if (o.size() != 9 && !(o.size() == 6 && !p.landmarks)) {
        return "9 outputs (scores, boxes, keypoints at strides 8, 16, 32)";
      }
      for (int k = 0; k < 3; k++) {
        size_t cells = static_cast<size_t>(w / kStrides[k]) * (h / kStrides[k]);
        if (o[k].length == 0 || o[k].length % cells) {
          return "scores at stride " + std::to_string(kStrides[k]) + " a multiple of " + std::to_string(cells) + " rows";
        }
        size_t n = o[k].length;
        if (o[3 + k].length != 4 * n) return Expect("boxes at stride " + std::to_string(kStrides[k]), 4 * n, o[3 + k].length);
        if (o.size() == 9 && o[6 + k].length != 10 * n) {
          return Expect("keypoints at stride " + std::to_string(kStrides[k]), 10 * n, o[6 + k].length);
        }
      }
      return "";
    }
    case Family::RetinaFace: {
      if (o.size() != 3 && !(o.size() == 2 && !p.landmarks)) return "3 outputs (loc, conf, landmarks)";
      size_t n = RetinaPriorCount(w, h);
      if (o[0].length != 4 * n) return Expect("loc", 4 * n, o[0].length);
      if (o[1].length != 2 * n) return Expect("conf", 2 * n, o[1].length);
      if (o.size() == 3 && o[2].length != 10 * n) return Expect("landmarks", 10 * n, o[2].length);
      return "";
    }
    case Family::UltraFace: {
      if (o.size() != 2) return "2 outputs (scores, boxes)";
      if (o[0].length == 0 || o[0].length % 2) return "scores of n x 2 floats";
      size_t n = o[0].length / 2;
      if (o[1].length != 4 * n) return Expect("boxes", 4 * n, o[1].length);
      return "";
    }
    case Family::Candidates:
      if (o.size() != 1) return "1 array of candidates";
      if (o[0].length % kCandidateFloats) return "candidates of n x 15 floats";
      return "";
  }
  return "a known family";
}

void DecodeYunet(const Pass& pass, float minScore, bool landmarks, std::vector<Candidate>* out) {
  const auto& o = pass.outputs;
  for (int k = 0; k < 3; k++) {
    const int s = kStrides[k];
    const int cols = pass.inputWidth / s, rows = pass.inputHeight / s;
    const float* cls = o[k].data;
    const float* obj = o[3 + k].data;
    const float* bbox = o[6 + k].data;
    const float* kps = o[9 + k].data;
    const float fs = static_cast<float>(s);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        const size_t i = static_cast<size_t>(r) * cols + c;
        const float cl = std::min(std::max(cls[i], 0.f), 1.f);
        const float ob = std::min(std::max(obj[i], 0.f), 1.f);
        const float score = std::sqrt(cl * ob);
        if (!(score >= minScore)) continue;
        const float* b = bbox + 4 * i;
        const float cx = (c + b[0]) * fs, cy = (r + b[1]) * fs;
        const float bw = std::exp(b[2]) * fs, bh = std::exp(b[3]) * fs;
        Candidate cand = CentreBox(cx, cy, bw, bh, score);
        if (landmarks) {
          const float* kp = kps + 10 * i;
          for (int j = 0; j < 5; j++) {
            cand.lm[2 * j] = (kp[2 * j] + c) * fs;
            cand.lm[2 * j + 1] = (kp[2 * j + 1] + r) * fs;
          }
        }
        out->push_back(cand);
      }
    }
  }
}

void DecodeScrfd(const Pass& pass, float minScore, bool landmarks, std::vector<Candidate>* out) {
  const auto& o = pass.outputs;
  const bool kpsPresent = landmarks && o.size() == 9;
  for (int k = 0; k < 3; k++) {
    const int s = kStrides[k];
    const int cols = pass.inputWidth / s, rows = pass.inputHeight / s;
    const size_t cells = static_cast<size_t>(cols) * rows;
    const size_t anchors = o[k].length / cells;
    const float* scores = o[k].data;
    const float* dist = o[3 + k].data;
    const float* kps = kpsPresent ? o[6 + k].data : nullptr;
    const float fs = static_cast<float>(s);
    for (size_t i = 0; i < o[k].length; i++) {
      const float score = scores[i];
      if (!(score >= minScore)) continue;
      const size_t cell = i / anchors;
      const float cx = static_cast<float>(cell % cols) * fs;
      const float cy = static_cast<float>(cell / cols) * fs;
      const float* d = dist + 4 * i;
      Candidate cand = CornerBox(cx - d[0] * fs, cy - d[1] * fs, cx + d[2] * fs, cy + d[3] * fs, score);
      if (kps) {
        const float* kp = kps + 10 * i;
        for (int j = 0; j < 5; j++) {
          cand.lm[2 * j] = cx + kp[2 * j] * fs;
          cand.lm[2 * j + 1] = cy + kp[2 * j + 1] * fs;
        }
      }
      out->push_back(cand);
    }
  }
}

void DecodeRetinaFace(const Pass& pass, float minScore, bool landmarks, std::vector<Candidate>* out) {
  const auto& o = pass.outputs;
  const float* loc = o[0].data;
  const float* conf = o[1].data;
  const float* landm = (landmarks && o.size() == 3) ? o[2].data : nullptr;
  size_t i = 0;
  for (int k = 0; k < 3; k++) {
    const int step = kRetinaSteps[k];
    const int rows = CeilDiv(pass.inputHeight, step), cols = CeilDiv(pass.inputWidth, step);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        for (int m = 0; m < 2; m++, i++) {
          const float score = conf[2 * i + 1];
          if (!(score >= minScore)) continue;
          // Priors in pixels: centre of the cell, square of the min size.
          const float pcx = (c + 0.5f) * step, pcy = (r + 0.5f) * step;
          const float ps = kRetinaMinSizes[k][m];
          const float* l = loc + 4 * i;
          const float cx = pcx + l[0] * kRetinaVariance0 * ps;
          const float cy = pcy + l[1] * kRetinaVariance0 * ps;
          const float bw = ps * std::exp(l[2] * kRetinaVariance1);
          const float bh = ps * std::exp(l[3] * kRetinaVariance1);
          Candidate cand = CentreBox(cx, cy, bw, bh, score);
          if (landm) {
            const float* lm = landm + 10 * i;
            for (int j = 0; j < 5; j++) {
              cand.lm[2 * j] = pcx + lm[2 * j] * kRetinaVariance0 * ps;
              cand.lm[2 * j + 1] = pcy + lm[2 * j + 1] * kRetinaVariance0 * ps;
            }
          }
          out->push_back(cand);
        }
      }
    }
  }
}

void DecodeUltraFace(const Pass& pass, float minScore, std::vector<Candidate>* out) {
  const float* scores = pass.outputs[0].data;
  const float* boxes = pass.outputs[1].data;
  const size_t n = pass.outputs[0].length / 2;
  const float W = static_cast<float>(pass.inputWidth), H = static_cast<float>(pass.inputHeight);
  for (size_t i = 0; i < n; i++) {
    const float score = scores[2 * i + 1];
    if (!(score >= minScore)) continue;
    const float* b = boxes + 4 * i;
    Candidate cand = CornerBox(b[0] * W, b[1] * H, b[2] * W, b[3] * H, score);
    out->push_back(cand);
  }
}

void DecodeCandidates(const Pass& pass, float minScore, std::vector<Candidate>* out) {
  const float* d = pass.outputs[0].data;
  const size_t n = pass.outputs[0].length / kCandidateFloats;
  for (size_t i = 0; i < n; i++) {
    const float* row = d + i * kCandidateFloats;
    if (!(row[4] >= minScore)) continue;
    Candidate cand = CornerBox(row[0], row[1], row[2], row[3], row[4]);
    for (int j = 0; j < 10; j++) cand.lm[j] = row[5 + j];
    out->push_back(cand);
  }
}

}  // namespace detect
}  // namespace livefr
