// SPDX-License-Identifier: Apache-2.0
#ifndef QK_FWD_PATH_H
#define QK_FWD_PATH_H

#include "fwd.h"

/* Handles one received frame: queues its output(s) on the interfaces' tx
 * lists or frees it with a counted drop reason. */
void fwd_handle(struct fwd *w, int in, const struct qk_desc *d, __u64 now);

#endif /* QK_FWD_PATH_H */
