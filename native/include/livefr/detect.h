// Face-detector post-processing: decoding raw output tensors of the
// supported model families into candidate faces, mapping them from tensor to
// frame coordinates, and greedy non-maximum suppression. Pure C++ (no N-API):
// the binding in native/src/detect/init.cc parses JS values into these
// structs on the JS thread and runs DetectPostprocess() off it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace livefr {
namespace detect {

// One face: box corners, score and 5 landmarks (x, y pairs) in the order
// left eye, right eye, nose, left mouth corner, right mouth corner.
struct Candidate {
  float x1, y1, x2, y2;
  float score;
  float lm[10];
};

// Floats per candidate in the flat arrays exchanged with JS.
constexpr size_t kCandidateFloats = 15;

enum class Family { Yunet, Scrfd, RetinaFace, UltraFace, Candidates };

// A read-only view of one output tensor.
struct TensorView {
  const float* data = nullptr;
  size_t length = 0;  // in floats
};

// One model run over (part of) the frame: its outputs in the family's
// canonical order and how tensor pixels map back to the frame:
//   frame = (tensor - pad) / scale + origin
struct Pass {
  int inputWidth = 0;
  int inputHeight = 0;
  std::vector<TensorView> outputs;
  float scale = 1.f;
  float padX = 0.f, padY = 0.f;
  float originX = 0.f, originY = 0.f;
  // Tile rectangle in frame pixels and which of its edges lie inside the
  // frame (bit 1 left, 2 top, 4 right, 8 bottom): a candidate crossing such
  // an edge is a face cut by the tile and is dropped (an overlapping tile or
  // the whole-frame pass sees it whole).
  float rect[4] = {0, 0, 0, 0};
  uint32_t innerEdges = 0;
};

struct Params {
  Family family = Family::Candidates;
  bool landmarks = true;
  float minScore = 0.5f;
  float iouThreshold = 0.4f;
  float minFaceSize = 0.f;  // the larger box side, in frame pixels
  int maxFaces = 0;         // 0: no limit
  float clipWidth = 0.f, clipHeight = 0.f;
  std::vector<Pass> passes;
};

// Checks that a pass's outputs have the sizes the family implies for its
// input size. Returns an empty string when they do, else what was expected.
std::string CheckPass(const Params& p, const Pass& pass);

// Appends the candidates of one pass with score >= minScore, in tensor
// pixel coordinates.
void DecodeYunet(const Pass& pass, float minScore, bool landmarks, std::vector<Candidate>* out);
void DecodeScrfd(const Pass& pass, float minScore, bool landmarks, std::vector<Candidate>* out);
void DecodeRetinaFace(const Pass& pass, float minScore, bool landmarks, std::vector<Candidate>* out);
void DecodeUltraFace(const Pass& pass, float minScore, std::vector<Candidate>* out);
void DecodeCandidates(const Pass& pass, float minScore, std::vector<Candidate>* out);

// Intersection over union of two boxes (0 when either is empty).
float IoU(const Candidate& a, const Candidate& b);

// Greedy NMS: sorts by score (descending, ties by position for
// determinism) and keeps a candidate unless it overlaps a kept one by more
// than iouThreshold. Stops after maxKeep faces (0: no limit).
std::vector<Candidate> Nms(std::vector<Candidate> candidates, float iouThreshold, size_t maxKeep);

// The whole post-processing of one image: decode every pass, map to frame
// coordinates, drop tile-cut faces, clip to the frame, filter by size, NMS.
std::vector<Candidate> DetectPostprocess(const Params& p);

}  // namespace detect
}  // namespace livefr
