/* SPDX-License-Identifier: Apache-2.0 */
/* In-kernel HashedTokenRouter: behaves exactly like TokenRouter (upstream delegates to it), so the
 * lowering emits QK_STEP_TOKEN_ROUTER and the kernel runs token_router.bpf.h. */
#ifndef QK_HASHED_TOKEN_ROUTER_BPF_H
#define QK_HASHED_TOKEN_ROUTER_BPF_H

#include "data-plane/filters/token_router/token_router.bpf.h"

#endif /* QK_HASHED_TOKEN_ROUTER_BPF_H */
