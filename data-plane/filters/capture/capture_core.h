// SPDX-License-Identifier: Apache-2.0
// Capture's byte-level core: which bytes a prefix/suffix capture takes. Plain C over a length so the
// BPF variant can share it.
#ifndef QK_CAPTURE_CORE_H
#define QK_CAPTURE_CORE_H

#include <stdint.h>

enum qk_capture_strategy { QK_CAPTURE_PREFIX = 0, QK_CAPTURE_SUFFIX = 1, QK_CAPTURE_REGEX = 2 };

/* Returns 1 and the offset of the captured bytes when the packet holds at least `size` bytes
 * (size 0 always captures, even on an empty packet); 0 when nothing can be captured. */
static inline int qk_capture__affix(uint32_t pkt_len, uint32_t size, int suffix, uint32_t *offset)
{
	if (pkt_len < size)
		return 0;
	*offset = suffix ? pkt_len - size : 0;
	return 1;
}

#endif /* QK_CAPTURE_CORE_H */
