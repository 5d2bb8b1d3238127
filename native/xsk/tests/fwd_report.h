// SPDX-License-Identifier: Apache-2.0
#ifndef QK_FWD_REPORT_H
#define QK_FWD_REPORT_H

#include <stdio.h>

#include "fwd.h"

/* One JSON line with every counter of the forwarder and the layer below. */
void fwd_report(const struct fwd *w, FILE *out);

#endif /* QK_FWD_REPORT_H */
