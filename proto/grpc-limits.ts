// SPDX-License-Identifier: Apache-2.0
// gRPC message size bounds for every xDS/mDS channel and server. Two directions differ: messages
// carrying resources (responses to a proxy, an agent's pushes to a relay) may be large, while
// requests (subscriptions, ACKs) are small, so a server accepts far less than a client does.
import type * as grpc from '@grpc/grpc-js';

/** Quilkin's bound on messages carrying resources, both ways (QUILKIN_MAX_GRPC_MESSAGE_SIZE). */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/**
 * What a server takes from a subscriber in one message. Quilkin's servers leave tonic's 4 MiB
 * decode default in place; a subscription listing 10 000 held resources is well under 1 MiB.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

let maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

/** Set once from the CLI (`--max-grpc-message-size`); every channel opened afterwards uses it. */
export function setMaxGrpcMessageBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 1024) throw new Error(`gRPC message size limit must be at least 1024 bytes, got ${bytes}`);
  maxMessageBytes = bytes;
}

export function maxGrpcMessageBytes(): number {
  return maxMessageBytes;
}

/** Channel/server options receiving at most `receiveBytes` and sending at most `sendBytes` per message. */
export function messageLimitOptions(receiveBytes: number, sendBytes: number): grpc.ChannelOptions {
  return { 'grpc.max_receive_message_length': receiveBytes, 'grpc.max_send_message_length': sendBytes };
}

/** A subscriber's channel (proxy to manage, relay's mDS server from agents): large resources in, small requests out. */
export function subscriberChannelOptions(): grpc.ChannelOptions {
  return messageLimitOptions(maxMessageBytes, maxMessageBytes);
}
