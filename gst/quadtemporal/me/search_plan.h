// How a picture's levels are searched: the grid and range of each level and
// the global motion taken from the coarsest one. Host code shared by the
// backends, so they split the work identically.
#pragma once

#include <vector>

#include "block_search.h"
#include "motion_search.h"

namespace quad::me {

struct LevelPlan {
  LevelGrid grid;
  int range = 0;
};

// Levels 0 .. pyramid.levels() - 1. A coarse level's blocks are the final
// block size scaled down, but never under 16 samples: fewer, steadier
// coarse blocks.
std::vector<LevelPlan> plan_levels(const SearchParams &params, const FramePyramid &pyramid);

// The most frequent vector of a level's field (whose vectors lie within
// +-range), in quarter samples of full resolution: the global motion, as
// finely as that level resolves it. Ties go to the smallest y, then x.
MotionVector global_motion(const std::vector<MotionVector> &field, int level, int range);

// The job of one level, without the parent and temporal fields.
LevelJob level_job(const SearchParams &params, const FramePyramid &cur, const FramePyramid &ref,
                   const std::vector<LevelPlan> &plan, int level);

} // namespace quad::me
