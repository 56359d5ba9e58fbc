// Post-processing of one image: decode every pass (whole frame, tiles),
// map candidates to frame coordinates, drop faces cut by a tile edge, clip,
// filter by size and merge everything with one greedy NMS.
#include <algorithm>
#include <cmath>

#include "livefr/detect.h"

namespace livefr {
namespace detect {

namespace {

// Bounds the NMS cost when a very low minScore lets thousands through.
constexpr size_t kMaxCandidates = 20000;

void DecodePass(const Params& p, const Pass& pass, std::vector<Candidate>* out) {
  switch (p.family) {
    case Family::Yunet:
      DecodeYunet(pass, p.minScore, p.landmarks, out);
      break;
    case Family::Scrfd:
      DecodeScrfd(pass, p.minScore, p.landmarks, out);
      break;
    case Family::RetinaFace:
      DecodeRetinaFace(pass, p.minScore, p.landmarks, out);
      break;
    case Family::UltraFace:
      DecodeUltraFace(pass, p.minScore, out);
      break;
    case Family::Candidates:
      DecodeCandidates(pass, p.minScore, out);
      break;
  }
}

// Tensor pixels -> frame pixels, in place.
void ToFrame(const Pass& pass, Candidate* c) {
  const float inv = 1.f / pass.scale;
  auto fx = [&](float x) { return (x - pass.padX) * inv + pass.originX; };
  auto fy = [&](float y) { return (y - pass.padY) * inv + pass.originY; };
  c->x1 = fx(c->x1);
  c->x2 = fx(c->x2);
  c->y1 = fy(c->y1);
  c->y2 = fy(c->y2);
  for (int j = 0; j < 5; j++) {
    c->lm[2 * j] = fx(c->lm[2 * j]);
    c->lm[2 * j + 1] = fy(c->lm[2 * j + 1]);
  }
}

// Whether a box crosses one of the tile's edges that lie inside the frame.
bool CutByTile(const Pass& pass, const Candidate& c) {
  if (!pass.innerEdges) return false;
  const float margin = 2.f / pass.scale;
  if ((pass.innerEdges & 1) && c.x1 < pass.rect[0] + margin) return true;
  if ((pass.innerEdges & 2) && c.y1 < pass.rect[1] + margin) return true;
  if ((pass.innerEdges & 4) && c.x2 > pass.rect[2] - margin) return true;
  if ((pass.innerEdges & 8) && c.y2 > pass.rect[3] - margin) return true;
  return false;
}

bool Valid(const Candidate& c) {
  return std::isfinite(c.x1) && std::isfinite(c.y1) && std::isfinite(c.x2) && std::isfinite(c.y2) &&
         c.x2 > c.x1 && c.y2 > c.y1;
}

bool ByScore(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.y1 != b.y1) return a.y1 < b.y1;
  return a.x1 < b.x1;
}

}  // namespace

float IoU(const Candidate& a, const Candidate& b) {
  const float ix = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float iy = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (ix <= 0.f || iy <= 0.f) return 0.f;
  const float inter = ix * iy;
  const float areaA = (a.x2 - a.x1) * (a.y2 - a.y1);
  const float areaB = (b.x2 - b.x1) * (b.y2 - b.y1);
  const float uni = areaA + areaB - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::vector<Candidate> Nms(std::vector<Candidate> c, float iouThreshold, size_t maxKeep) {
  if (c.size() > kMaxCandidates) {
    std::partial_sort(c.begin(), c.begin() + kMaxCandidates, c.end(), ByScore);
    c.resize(kMaxCandidates);
  } else {
    std::sort(c.begin(), c.end(), ByScore);
  }
  std::vector<Candidate> kept;
  std::vector<char> removed(c.size(), 0);
  for (size_t i = 0; i < c.size(); i++) {
    if (removed[i]) continue;
    kept.push_back(c[i]);
    if (maxKeep && kept.size() >= maxKeep) break;
    for (size_t j = i + 1; j < c.size(); j++) {
      if (!removed[j] && IoU(c[i], c[j]) > iouThreshold) removed[j] = 1;
    }
  }
  return kept;
}

std::vector<Candidate> DetectPostprocess(const Params& p) {
  std::vector<Candidate> all;
  std::vector<Candidate> pass_out;
  for (const Pass& pass : p.passes) {
    pass_out.clear();
    DecodePass(p, pass, &pass_out);
    for (Candidate& c : pass_out) {
      ToFrame(pass, &c);
      if (!Valid(c) || CutByTile(pass, c)) continue;
      if (p.clipWidth > 0.f) {
        c.x1 = std::min(std::max(c.x1, 0.f), p.clipWidth);
        c.x2 = std::min(std::max(c.x2, 0.f), p.clipWidth);
        c.y1 = std::min(std::max(c.y1, 0.f), p.clipHeight);
        c.y2 = std::min(std::max(c.y2, 0.f), p.clipHeight);
        if (!(c.x2 > c.x1 && c.y2 > c.y1)) continue;
      }
      if (std::max(c.x2 - c.x1, c.y2 - c.y1) < p.minFaceSize) continue;
      all.push_back(c);
    }
  }
  return Nms(std::move(all), p.iouThreshold, p.maxFaces > 0 ? static_cast<size_t>(p.maxFaces) : 0);
}

}  // namespace detect
}  // namespace livefr
