#include "contexts.h"

#include <algorithm>

namespace quad::hevc {
namespace {

// H.265 9.3.2.2, Tables 9-5 to 9-37: initValue of every context, by
// initType 0 / 1 / 2. Syntax elements that an initType never codes (the
// inter ones for I slices) are set to 154, the neutral value.
struct ElementInit {
  ContextIndex first;
  int count;
  uint8_t values[3][18];
};

constexpr ElementInit kElementInits[] = {
    {kCtxSaoMergeFlag, 1, {{153}, {153}, {153}}},
    {kCtxSaoTypeIdx, 1, {{200}, {185}, {160}}},
    {kCtxSplitCuFlag, 3, {{139, 141, 157}, {107, 139, 126}, {107, 139, 126}}},
    {kCtxCuTransquantBypassFlag, 1, {{154}, {154}, {154}}},
    {kCtxCuSkipFlag, 3, {{154, 154, 154}, {197, 185, 201}, {197, 185, 201}}},
    {kCtxPredModeFlag, 1, {{154}, {149}, {134}}},
    {kCtxPartMode, 4, {{184, 154, 154, 154}, {154, 139, 154, 154}, {154, 139, 154, 154}}},
    {kCtxPrevIntraLumaPredFlag, 1, {{184}, {154}, {183}}},
    {kCtxIntraChromaPredMode, 1, {{63}, {152}, {152}}},
    {kCtxRqtRootCbf, 1, {{154}, {79}, {79}}},
    {kCtxMergeFlag, 1, {{154}, {110}, {154}}},
    {kCtxMergeIdx, 1, {{154}, {122}, {137}}},
    {kCtxInterPredIdc, 5, {{154, 154, 154, 154, 154}, {95, 79, 63, 31, 31}, {95, 79, 63, 31, 31}}},
    {kCtxRefIdx, 2, {{154, 154}, {153, 153}, {153, 153}}},
    {kCtxMvpFlag, 1, {{154}, {168}, {168}}},
    {kCtxSplitTransformFlag, 3, {{153, 138, 138}, {124, 138, 94}, {224, 167, 122}}},
    {kCtxCbfLuma, 2, {{111, 141}, {153, 111}, {153, 111}}},
    {kCtxCbfChroma, 4, {{94, 138, 182, 154}, {149, 107, 167, 154}, {149, 92, 167, 154}}},
    {kCtxAbsMvdGreater0Flag, 1, {{154}, {140}, {169}}},
    {kCtxAbsMvdGreater1Flag, 1, {{154}, {198}, {198}}},
    {kCtxCuQpDeltaAbs, 2, {{154, 154}, {154, 154}, {154, 154}}},
    {kCtxTransformSkipFlag, 2, {{139, 139}, {139, 139}, {139, 139}}},
    {kCtxLastSigCoeffXPrefix,
     18,
     {{110, 110, 124, 125, 140, 153, 125, 127, 140, 109, 111, 143, 127, 111, 79, 108, 123, 63},
      {125, 110, 94, 110, 95, 79, 125, 111, 110, 78, 110, 111, 111, 95, 94, 108, 123, 108},
      {125, 110, 124, 110, 95, 94, 125, 111, 111, 79, 125, 126, 111, 111, 79, 108, 123, 93}}},
    {kCtxLastSigCoeffYPrefix,
     18,
     {{110, 110, 124, 125, 140, 153, 125, 127, 140, 109, 111, 143, 127, 111, 79, 108, 123, 63},
      {125, 110, 94, 110, 95, 79, 125, 111, 110, 78, 110, 111, 111, 95, 94, 108, 123, 108},
      {125, 110, 124, 110, 95, 94, 125, 111, 111, 79, 125, 126, 111, 111, 79, 108, 123, 93}}},
    {kCtxCodedSubBlockFlag, 4, {{91, 171, 134, 141}, {121, 140, 61, 154}, {121, 140, 61, 154}}},
};

// sig_coeff_flag has 42 contexts per initType: too long for ElementInit.
constexpr uint8_t kSigCoeffFlagInit[3][42] = {
    {111, 111, 125, 110, 110, 94,  124, 108, 124, 107, 125, 141, 179, 153,
     125, 107, 125, 141, 179, 153, 125, 107, 125, 141, 179, 153, 125, 140,
     139, 182, 182, 152, 136, 152, 136, 153, 136, 139, 111, 136, 139, 111},
    {155, 154, 139, 153, 139, 123, 123, 63,  153, 166, 183, 140, 136, 153,
     154, 166, 183, 140, 136, 153, 154, 166, 183, 140, 136, 153, 154, 170,
     153, 123, 123, 107, 121, 107, 121, 167, 151, 183, 140, 151, 183, 140},
    {170, 154, 139, 153, 139, 123, 123, 63,  124, 166, 183, 140, 136, 153,
     154, 166, 183, 140, 136, 153, 154, 166, 183, 140, 136, 153, 154, 170,
     153, 138, 138, 122, 121, 122, 121, 167, 151, 183, 140, 151, 183, 140},
};

constexpr uint8_t kGreater1FlagInit[3][24] = {
    {140, 92,  137, 138, 140, 152, 138, 139, 153, 74,  149, 92,
     139, 107, 122, 152, 140, 179, 166, 182, 140, 227, 122, 197},
    {154, 196, 196, 167, 154, 152, 167, 182, 182, 134, 149, 136,
     153, 121, 136, 137, 169, 194, 166, 167, 154, 167, 137, 182},
    {154, 196, 167, 167, 154, 152, 167, 182, 182, 134, 149, 136,
     153, 121, 136, 122, 169, 208, 166, 167, 154, 152, 167, 182},
};

constexpr uint8_t kGreater2FlagInit[3][6] = {
    {138, 153, 136, 167, 152, 152},
    {107, 167, 91, 122, 107, 167},
    {107, 167, 91, 107, 107, 167},
};

// 9.3.2.2 equations (9-4) to (9-7).
uint8_t initial_state(int init_value, int slice_qp) {
  const int slope_idx = init_value >> 4;
  const int offset_idx = init_value & 15;
  const int m = slope_idx * 5 - 45;
  const int n = (offset_idx << 3) - 16;
  const int pre = std::clamp(((m * std::clamp(slice_qp, 0, 51)) >> 4) + n, 1, 126);
  const int val_mps = pre <= 63 ? 0 : 1;
  const int p_state = val_mps ? pre - 64 : 63 - pre;
  return static_cast<uint8_t>((p_state << 1) | val_mps);
}

} // namespace

void ContextSet::init(int init_type, int slice_qp) {
  for (const ElementInit &e : kElementInits)
    for (int i = 0; i < e.count; ++i)
      state[e.first + i] = initial_state(e.values[init_type][i], slice_qp);
  for (int i = 0; i < 42; ++i)
    state[kCtxSigCoeffFlag + i] = initial_state(kSigCoeffFlagInit[init_type][i], slice_qp);
  for (int i = 0; i < 24; ++i)
    state[kCtxCoeffAbsLevelGreater1 + i] = initial_state(kGreater1FlagInit[init_type][i], slice_qp);
  for (int i = 0; i < 6; ++i)
    state[kCtxCoeffAbsLevelGreater2 + i] = initial_state(kGreater2FlagInit[init_type][i], slice_qp);
}

} // namespace quad::hevc
