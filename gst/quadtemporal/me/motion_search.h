// Hierarchical block motion estimation behind a backend interface (cpu,
// cuda, hip). A search takes the current and reference pyramids and the
// previous field, and gives one vector per block of the final grid.
// GStreamer-free.
//
// The search: an exhaustive search at the coarsest level; at each finer level
// a few candidates (the parent block and its neighbours, the previous
// picture's co-located vector, the global motion found at the coarsest level,
// zero) then a hexagon or diamond pattern; at full resolution propagation
// between neighbouring blocks and a quarter-sample refinement with H.265's
// interpolation filters (half samples by SAD, quarter samples by SATD).
// Costs are distortion + lambda x estimated vector bits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "motion_types.h"
#include "pyramid.h"

namespace quad::me {

enum class Backend { kAuto, kCpu, kCuda, kHip };

const char *backend_name(Backend backend);

struct MotionField {
  int block_size = 0;
  int cols = 0;
  int rows = 0;
  std::vector<BlockEstimate> blocks; // raster order
  MotionVector global;               // quarter samples
};

// The lambda of an encoder's motion decision at qp (0..51), in 1/256 units:
// sqrt(0.57 * 2^((qp - 12) / 3)), the SAD-domain lambda of HM and x265.
int lambda_q8_for_qp(int qp);

// Throws std::invalid_argument for parameters outside their documented range.
void validate(const SearchParams &params);

class MotionSearch {
public:
  virtual ~MotionSearch() = default;
  virtual Backend backend() const = 0;

  // cur and ref must have the same geometry (FramePyramid::same_geometry).
  // previous, when not null, is the field found for ref against its own
  // reference: its vectors seed the search (temporal candidates). Adds the
  // work done to counters when not null.
  virtual void estimate(const FramePyramid &cur, const FramePyramid &ref,
                        const MotionField *previous, MotionField &out,
                        SearchCounters *counters) = 0;
};

// The backend asked for. kAuto takes a GPU backend when one is compiled in
// and a device answers, else the CPU. A GPU backend asked for by name that
// is not compiled in or finds no device falls back to the CPU; `note` then
// says why (otherwise it is left empty).
std::unique_ptr<MotionSearch> make_motion_search(Backend backend, const SearchParams &params,
                                                 std::string *note = nullptr);

// The CPU backend, always available.
std::unique_ptr<MotionSearch> make_cpu_motion_search(const SearchParams &params);

// The GPU backends; null when not compiled in or no device is usable, with
// the reason in `why`.
std::unique_ptr<MotionSearch> make_cuda_motion_search(const SearchParams &params, std::string *why);
std::unique_ptr<MotionSearch> make_hip_motion_search(const SearchParams &params, std::string *why);

// Exhaustive integer search of +-range around zero at full resolution with
// plain SAD: the yardstick the hierarchical search is measured against.
// Returns the total SAD over all blocks; vectors (quarter samples) in out.
uint64_t full_search(const FramePyramid &cur, const FramePyramid &ref, int block_size, int range,
                     std::vector<MotionVector> *out, SearchCounters *counters);

} // namespace quad::me
