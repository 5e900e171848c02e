// CABAC context variables (H.265 9.3.2.2): the flat layout of every context
// this encoder codes, their initValue tables per initType, and the
// initialisation from SliceQpY. GStreamer-free.
#pragma once

#include <array>
#include <cstdint>

namespace quad::hevc {

enum class SliceType : uint8_t { B = 0, P = 1, I = 2 }; // 7.4.7.1 slice_type

// First context of each syntax element in ContextSet::state; the count of
// contexts is the difference to the next entry.
enum ContextIndex : uint16_t {
  kCtxSaoMergeFlag = 0,
  kCtxSaoTypeIdx = 1,
  kCtxSplitCuFlag = 2, // 3
  kCtxCuTransquantBypassFlag = 5,
  kCtxCuSkipFlag = 6, // 3
  kCtxPredModeFlag = 9,
  kCtxPartMode = 10, // 4
  kCtxPrevIntraLumaPredFlag = 14,
  kCtxIntraChromaPredMode = 15,
  kCtxRqtRootCbf = 16,
  kCtxMergeFlag = 17,
  kCtxMergeIdx = 18,
  kCtxInterPredIdc = 19, // 5
  kCtxRefIdx = 24,       // 2
  kCtxMvpFlag = 26,
  kCtxSplitTransformFlag = 27, // 3
  kCtxCbfLuma = 30,            // 2
  kCtxCbfChroma = 32,          // 4
  kCtxAbsMvdGreater0Flag = 36,
  kCtxAbsMvdGreater1Flag = 37,
  kCtxCuQpDeltaAbs = 38,           // 2
  kCtxTransformSkipFlag = 40,      // 2 (luma, chroma)
  kCtxLastSigCoeffXPrefix = 42,    // 18
  kCtxLastSigCoeffYPrefix = 60,    // 18
  kCtxCodedSubBlockFlag = 78,      // 4
  kCtxSigCoeffFlag = 82,           // 42 (27 luma, 15 chroma)
  kCtxCoeffAbsLevelGreater1 = 124, // 24 (16 luma, 8 chroma)
  kCtxCoeffAbsLevelGreater2 = 148, // 6 (4 luma, 2 chroma)
  kNumContexts = 154,
};

// One state byte per context: (pStateIdx << 1) | valMps.
struct ContextSet {
  std::array<uint8_t, kNumContexts> state;

  // 9.3.2.2: initialisation for a slice of initType 0 (I), 1 or 2 (P / B,
  // swapped by cabac_init_flag).
  void init(int init_type, int slice_qp);
};

// 9.3.2.2 (Table 9-4): initType of a slice.
inline int cabac_init_type(SliceType type, bool cabac_init_flag) {
  if (type == SliceType::I)
    return 0;
  if (type == SliceType::P)
    return cabac_init_flag ? 2 : 1;
  return cabac_init_flag ? 1 : 2;
}

} // namespace quad::hevc
