/* SPDX-License-Identifier: Apache-2.0 */
/* Generated from data-plane/drop_reasons.json by scripts/gen-drop-reasons.js: do not edit. */
#ifndef QK_DROP_REASONS_H
#define QK_DROP_REASONS_H

enum qk_drop_reason {
	QK_DROP_NONE = 0, /* none */
	QK_DROP_CAPTURE_NO_VALUE = 1, /* filter::capture::no value captured */
	QK_DROP_TOKEN_NOT_FOUND = 2, /* filter::token_router::no token found */
	QK_DROP_TOKEN_NO_ENDPOINT_MATCH = 3, /* filter::token_router::no endpoint match */
	QK_DROP_FIREWALL_DENIED = 4, /* filter::firewall::denied */
	QK_DROP_MATCH_NO_METADATA = 5, /* filter::match::no metadata */
	QK_DROP_DROP_FILTER = 6, /* filter::drop::dropped */
	QK_DROP_RATE_LIMITED = 7, /* filter::rate_limit::dropped */
	QK_DROP_FILTER_IO = 8, /* filter::io */
	QK_DROP_NO_UPSTREAM_ENDPOINTS = 9, /* no upstream endpoints */
	QK_DROP_DISALLOWED_SOURCE_IP = 10, /* disallowed source ip */
	QK_DROP_SESSION = 11, /* session */
	QK_DROP_IO = 12, /* io */
	QK_DROP_SESSION_TABLE_FULL = 13, /* session table full */
	QK_DROP_CHANNEL_FULL = 14, /* channel full */
	QK_DROP_NO_DOWNSTREAM = 15, /* no downstream session */
	QK_DROP_MALFORMED = 16, /* malformed packet */
	QK_DROP_TOO_LARGE = 17, /* packet too large */
	QK_DROP_SPLIT_PACKET = 18, /* split packet */
	QK_DROP_TX_SLAB_FULL = 19, /* tx slab full */
	QK_DROP_TX_RING_FULL = 20, /* tx ring full */
	QK_DROP_FILL_RING_EMPTY = 21, /* fill ring empty */
	QK_DROP_UMEM_EXHAUSTED = 22, /* umem exhausted */
	QK_DROP_NEIGHBOUR_UNRESOLVED = 23, /* neighbour unresolved */
	QK_DROP_NO_ROUTE = 24, /* no route */
	QK_DROP_SOURCE_SESSION_LIMIT = 25, /* source session limit */
	QK_DROP_COMPRESSION_IO = 26, /* filter::compression::io */
	QK_DROP_INVALID_SOURCE_ADDRESS = 27, /* invalid source address */
	QK_DROP_INVALID_DESTINATION_ADDRESS = 28, /* invalid destination address */
	QK_DROP_QCMP_MALFORMED = 29, /* qcmp::malformed packet */
	QK_DROP_QCMP_UNEXPECTED_PONG = 30, /* qcmp::pong on the server port */
	QK_DROP_BAD_CHECKSUM = 31, /* bad checksum */
	QK_DROP__MAX = 32,
};

#endif /* QK_DROP_REASONS_H */
