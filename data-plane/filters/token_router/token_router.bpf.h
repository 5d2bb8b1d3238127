/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-kernel TokenRouter (quilkin.filters.token_router.v1alpha1.TokenRouter; HashedTokenRouter is
 * the same filter): the Bytes value under the key names the endpoints holding it, which replace
 * the destinations. The token table is map data, so a token change is a map write.
 */
#ifndef QK_TOKEN_ROUTER_BPF_H
#define QK_TOKEN_ROUTER_BPF_H

#include "bpf/lib/fast_state.h"

static __always_inline void qk_token_router__step(
	struct qk_fast_state *st, const struct qk_fast_step *step)
{
	struct qk_fast_token_key key = {};
	const struct qk_fast_token_value *holders;
	const struct qk_fast_meta *token = qk_fast__meta(st, step->key);
	__u32 i, n;

	if (!token)
		return;
	/* A String or a missing value is no token (native: only Bytes route). */
	if (token->tag != QK_META_BYTES) {
		qk_fast__drop(st, QK_DROP_TOKEN_NOT_FOUND);
		return;
	}
	key.bank = st->bank;
	key.len = token->len;
	/* Metadata bytes past len are zero, as the key's must be. */
	__builtin_memcpy(key.bytes, token->bytes, QK_FAST_VALUE_MAX);
	holders = bpf_map_lookup_elem(&QK_MAP_FAST_TOKENS, &key);
	if (!holders || holders->n == 0) {
		qk_fast__drop(st, QK_DROP_TOKEN_NO_ENDPOINT_MATCH);
		return;
	}
	n = holders->n;
	if (n > QK_FAST_DESTS) {
		qk_fast__handoff(st, QK_HANDOFF_TOKEN_MANY);
		return;
	}
	for (i = 0; i < QK_FAST_DESTS; i++) {
		if (i >= n)
			break;
		st->dests[i] = holders->idx[i];
	}
	st->n_dests = n;
	st->all_dests = 0;
}

#endif /* QK_TOKEN_ROUTER_BPF_H */
