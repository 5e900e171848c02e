// Factories of the GPU backends a build has no compiler for: they answer
// null, and make_motion_search() falls back to the CPU.
#include "motion_search.h"

namespace quad::me {

#ifndef QUAD_ME_HAVE_CUDA
std::unique_ptr<MotionSearch> make_cuda_motion_search(const SearchParams &, std::string *why) {
  if (why) {
    *why = "built without nvcc";
  }
  return nullptr;
}
#endif

#ifndef QUAD_ME_HAVE_HIP
std::unique_ptr<MotionSearch> make_hip_motion_search(const SearchParams &, std::string *why) {
  if (why) {
    *why = "built without hipcc";
  }
  return nullptr;
}
#endif

} // namespace quad::me
