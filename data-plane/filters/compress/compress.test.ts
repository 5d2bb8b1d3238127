// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { compressSync as snappyCompress } from 'snappy';
import { formatIssue } from '../../../config/issues';
import { parseConfigText } from '../../../config/parse';
import { filterRegistry } from '../index';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { lz4Codec, MAX_OUTPUT, readLz4Size, readSnappyLength, snappyCodec, writeLz4Size } from './codecs';
import { COMPRESS_NAME, COMPRESSION_DROP, compressFactory } from './compress';
import { lowered, program, refusal } from '../../../test/support/lowering';

const FIXTURE = Buffer.from('hello my name is mark and I like to do things'.repeat(100));
/** Incompressible bytes (a fixed xorshift stream, so the test is reproducible). */
function noise(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('Compress', () => {
  const make = (raw: unknown, services = testServices()) => compressFactory.create(compressFactory.validate(raw), services);

  it('registers no step for DO_NOTHING', () => {
    expect(make({ on_read: 'DO_NOTHING', on_write: 'DO_NOTHING' })).to.deep.equal({});
    expect(Object.keys(make({ on_read: 'COMPRESS', on_write: 'DO_NOTHING' }))).to.deep.equal(['read']);
  });

  for (const mode of ['SNAPPY', 'LZ4'] as const) {
    it(`${mode}: compresses the fixture smaller and restores it (Quilkin's roundtrip_compression)`, () => {
      const f = make({ mode, on_read: 'COMPRESS', on_write: 'DECOMPRESS' });
      const r = readContext(FIXTURE);
      expect(f.read!(r)).to.equal(undefined);
      expect(r.contents.length).to.be.lessThan(FIXTURE.length).and.greaterThan(0);
      const w = writeContext(r.contents);
      expect(f.write!(w)).to.equal(undefined);
      expect(w.contents.equals(FIXTURE)).to.equal(true);
    });

    it(`${mode}: drops a compressed packet that would pass the datagram limit`, () => {
      const f = make({ mode, on_read: 'COMPRESS', on_write: 'DO_NOTHING' });
      expect(f.read!(readContext(noise(MAX_OUTPUT - 1000)))).to.equal(undefined);
      expect(f.read!(readContext(noise(MAX_OUTPUT)))).to.equal(COMPRESSION_DROP);
    });
  }

  it("counts bytes as Quilkin's compressed/decompressed_bytes_total, per direction", () => {
    const services = testServices();
    const f = make({ on_read: 'COMPRESS', on_write: 'DECOMPRESS' }, services);
    const r = readContext(FIXTURE);
    f.read!(r);
    f.write!(writeContext(r.contents));
    f.write!(writeContext('hello')); // a failed decode counts nothing
    const counters = Object.fromEntries(services.recorded.counters);
    expect(counters).to.deep.equal({
      [`${COMPRESS_NAME}|decompressed_bytes_total|read`]: FIXTURE.length,
      [`${COMPRESS_NAME}|compressed_bytes_total|read`]: r.contents.length,
      [`${COMPRESS_NAME}|compressed_bytes_total|write`]: r.contents.length,
      [`${COMPRESS_NAME}|decompressed_bytes_total|write`]: FIXTURE.length,
    });
  });

  it('logs why a packet was dropped', () => {
    const services = testServices();
    expect(make({ on_read: 'DECOMPRESS', on_write: 'DO_NOTHING' }, services).read!(readContext(Buffer.from('e4ff03', 'hex')))).to.equal(COMPRESSION_DROP);
    expect(services.recorded.logs).to.have.length(1);
    expect(services.recorded.logs[0]!.fields).to.include({ direction: 'read', action: 'DECOMPRESS' });
    expect(String(services.recorded.logs[0]!.fields.error)).to.match(/claims 65508 bytes, more than the 65507-byte datagram limit/);
  });

  describe('decompression bombs', () => {
    it('SNAPPY: a valid stream expanding to 65508 bytes is refused by its header; 65507 passes', () => {
      const bomb = snappyCompress(Buffer.alloc(MAX_OUTPUT + 1, 0x61));
      expect(bomb.length).to.be.lessThan(4000);
      const refused = snappyCodec.decode(bomb);
      expect(refused.ok).to.equal(false);
      const fits = snappyCodec.decode(snappyCompress(Buffer.alloc(MAX_OUTPUT, 0x61)));
      expect(fits.ok && fits.contents.length).to.equal(MAX_OUTPUT);
    });

    it('SNAPPY: a header claiming 4 GiB is refused before any allocation', () => {
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < 1000; i++) expect(snappyCodec.decode(Buffer.from('ffffffff0f00', 'hex')).ok).to.equal(false);
      expect(process.memoryUsage().arrayBuffers - before).to.be.lessThan(64 * 1024 * 1024);
    });

    it('LZ4: output is capped at the datagram limit whatever the prefix says', () => {
      const result = lz4Codec.decode(
        Buffer.concat([writeLz4Size(65535), Buffer.from([0x1f, 0x61, 0x01, 0x00]), Buffer.alloc(256, 0xff), Buffer.from([230, 0x50]), Buffer.from('aaaaa')]),
      );
      expect(result.ok).to.equal(false);
    });
  });

  describe('length headers', () => {
    it("reads Snappy's u32 varint and refuses truncated, over-long and 33-bit ones", () => {
      expect(readSnappyLength(Buffer.from('00', 'hex'))).to.equal(0);
      expect(readSnappyLength(Buffer.from('e4ff03', 'hex'))).to.equal(65508);
      expect(readSnappyLength(Buffer.from('ffffffff0f', 'hex'))).to.equal(0xffffffff);
      expect(readSnappyLength(Buffer.from('ffffffff1f', 'hex'))).to.equal(undefined);
      expect(readSnappyLength(Buffer.from('8080808080', 'hex'))).to.equal(undefined);
      expect(readSnappyLength(Buffer.alloc(0))).to.equal(undefined);
    });

    it("writes and reads Quilkin's LZ4 size prefix, with its u16 wrap", () => {
      expect(writeLz4Size(4500).toString('hex')).to.equal('9423');
      expect(writeLz4Size(65535).toString('hex')).to.equal('ffff03');
      for (const n of [0, 1, 127, 128, 4500, 16383, 16384, 65507, 65535])
        expect(readLz4Size(writeLz4Size(n))).to.deep.equal({ size: n, length: writeLz4Size(n).length });
      expect(readLz4Size(Buffer.from('808004', 'hex'))).to.deep.equal({ size: 0, length: 3 });
      expect(readLz4Size(Buffer.from('80808000', 'hex'))).to.equal(undefined);
      expect(readLz4Size(Buffer.from('80', 'hex'))).to.equal(undefined);
    });
  });

  describe('in a config file', () => {
    const file = (config: string) => `version: v1alpha1
filters:
  - name: quilkin.filters.compress.v1alpha1.Compress
    config:
${config}
clusters:
  - endpoints:
      - address: 127.0.0.1:7001
`;

    it("accepts Quilkin's documented example", () => {
      const result = parseConfigText(file('      on_read: COMPRESS\n      on_write: DECOMPRESS\n      mode: SNAPPY'), filterRegistry());
      if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
      expect(result.value.filters).to.deep.equal([{ name: COMPRESS_NAME, config: { mode: 'SNAPPY', on_read: 'COMPRESS', on_write: 'DECOMPRESS' } }]);
    });

    it('rejects a bad mode with the field path and the accepted values', () => {
      const result = parseConfigText(file('      on_read: COMPRESS\n      on_write: DECOMPRESS\n      mode: ZSTD'), filterRegistry());
      expect(result.ok).to.equal(false);
      if (result.ok) return;
      expect(result.issues.map(formatIssue).join('\n')).to.match(/filters\[0\]\.config.*mode: unknown variant `ZSTD`, expected `SNAPPY` or `LZ4`/);
    });
  });
});

describe('Compress in the kernel', () => {
  it('is not lowered where it (de)compresses; a direction doing nothing lowers to nothing', () => {
    expect(refusal([{ name: COMPRESS_NAME, config: { on_read: 'DO_NOTHING', on_write: 'DECOMPRESS' } }])).to.equal(
      `filters[0] (${COMPRESS_NAME}): not lowerable: on_write: decompresses the whole payload; the kernel program sees 64 bytes at each end`,
    );
    expect(refusal([{ name: COMPRESS_NAME, config: { mode: 'LZ4', on_read: 'COMPRESS', on_write: 'DO_NOTHING' } }])).to.match(
      /on_read: compresses the whole payload/,
    );
    const idle = lowered([{ name: COMPRESS_NAME, config: { on_read: 'DO_NOTHING', on_write: 'DO_NOTHING' } }]);
    expect([program(idle, 'read'), program(idle, 'write'), idle.summary]).to.deep.equal([[], [], 'read: (empty); write: (empty)']);
  });
});
