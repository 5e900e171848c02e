/* The block sizes of gst-quad's block grids (motion vectors, ground truth,
 * block analysis), as the elements' `block-size` properties take them: one
 * enum type, so a bad size is refused where it is set, naming the property. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Side of a square block in luma samples; the value is the size. */
typedef enum {
  GST_QUAD_BLOCK_SIZE_8 = 8,
  GST_QUAD_BLOCK_SIZE_16 = 16,
  GST_QUAD_BLOCK_SIZE_32 = 32,
  GST_QUAD_BLOCK_SIZE_64 = 64,
} GstQuadBlockSize;

#define GST_TYPE_QUAD_BLOCK_SIZE (gst_quad_block_size_get_type())
GType gst_quad_block_size_get_type(void);

G_END_DECLS
