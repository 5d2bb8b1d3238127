// SPDX-License-Identifier: Apache-2.0
// Every message we read on an xDS stream can make us write one (an ACK, a response). If the
// peer floods us but never reads, those writes would queue without end; instead, once the
// write side is full, we stop reading until it drains, and HTTP/2 flow control holds the peer.

/** The part of a grpc-js duplex stream (client or server side) pacing needs. */
export interface PacedStream<Out> {
  write(message: Out): boolean;
  isPaused(): boolean;
  pause(): unknown;
  resume(): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

export function writePaced<Out>(stream: PacedStream<Out>, message: Out): void {
  if (!stream.write(message) && !stream.isPaused()) {
    stream.pause();
    stream.once('drain', () => stream.resume());
  }
}
