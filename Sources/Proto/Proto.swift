/// Proto — Gust's wire format: frame envelope, message kinds and their codecs.
///
/// Pure codecs only: no sockets, no graph or tensor types. Messages carry plain integer and float
/// arrays and names. This comment is THE definition of the byte layout; docs/ARCHITECTURE.md
/// mirrors it.
///
/// # Envelope (every frame; 28-byte header, then the payload)
///
/// All integers little-endian.
///
/// | offset | size | field          | meaning                                                      |
/// |-------:|-----:|----------------|--------------------------------------------------------------|
/// |      0 |    4 | magic          | ASCII `GUST` (`47 55 53 54`)                                 |
/// |      4 |    2 | version        | protocol version, `Proto.version` (1)                        |
/// |      6 |    2 | kind           | `MessageKind` raw value; a reply kind = request kind + 0x8000 |
/// |      8 |    4 | flags          | bit set, below; unknown bits: senders write 0, receivers ignore |
/// |     12 |    8 | request id     | chosen by the requester, echoed in the reply (and in errors) |
/// |     20 |    4 | payload length | bytes after the header; checked against the receiver's limit |
/// |     24 |    4 | payload crc32  | CRC-32 (IEEE 802.3, zlib's `crc32`) of the payload bytes     |
/// |     28 |    n | payload        | the message body, layout per message kind (`Messages.swift`) |
///
/// ## Flags (`Proto.Flags`)
///
/// | bit | name                   | meaning                                                          |
/// |----:|------------------------|------------------------------------------------------------------|
/// |   0 | `uncheckedPayload`     | the sender did not compute the crc32 (the field is 0). A receiver |
/// |     |                        | accepts such a frame only when it opted in (`FrameDecoder.acceptsUncheckedPayload`); otherwise it is a `checksumMismatch`. |
/// |   1 | `uncheckedReplyWelcome`| on a request: the requester accepts a reply with bit 0 set. A    |
/// |     |                        | server may then skip the crc32 of large replies (bulk rows on a trusted loopback link, where TCP's own checksum and the kernel's memory are all that stand between the ends anyway). |
///
/// Frames written with flags 0 are byte-identical to protocol version 1 as first published; the
/// flags only ever remove work, so no version bump.
///
/// # Payload building blocks (`WireWriter` / `WireReader`)
///
/// - scalars: fixed-width little-endian (`u8 u16 u32 u64 i32 i64 f32`; `f32` is the IEEE bit
///   pattern).
/// - `bytes`: `u32 count` + `count` raw bytes.
/// - `string`: `u32 byteCount` + UTF-8 bytes (validated on decode; no terminator).
/// - `[i32]`, `[i64]`, `[f32]`: `u32 count` + `count × 4|8` raw little-endian bytes, one block.
/// - `[string]`: `u32 count` + `count` strings.
/// - `string?`: `u8 present (0|1)` + the string when present.
/// - a list of records: `u32 count` + the records back to back.
///
/// Every count is checked against the bytes left in the payload before anything is allocated,
/// and a payload must be consumed exactly (trailing bytes are an error).
///
/// # Message kinds
///
/// | kind     | message                  | kind     | reply                         |
/// |---------:|--------------------------|---------:|-------------------------------|
/// | `0x0001` | hello                    | `0x8001` | challenge                     |
/// | `0x0002` | proof                    | `0x8002` | authOK                        |
/// | `0x0010` | partitionInfoRequest     | `0x8010` | partitionInfo                 |
/// | `0x0011` | sampleNeighbors          | `0x8011` | sampledNeighbors              |
/// | `0x0012` | pullNodeFeatures         | `0x8012` | nodeFeatures                  |
/// | `0x0013` | pullEdgeFeatures         | `0x8013` | edgeFeatures                  |
/// | `0x0014` | pullLabelsMasks          | `0x8014` | labelsMasks                   |
/// | `0x0015` | pullEmbeddings           | `0x8015` | embeddings                    |
/// | `0x0016` | pushEmbeddingGradients   | `0x8016` | embeddingGradientsApplied     |
/// | `0x0017` | dumpEmbeddings           | `0x8017` | embeddingsDumped              |
/// | `0x0018` | loadEmbeddings           | `0x8018` | embeddingsLoaded              |
/// | `0x0019` | dumpEmbeddingOptimizer   | `0x8019` | embeddingOptimizerDumped      |
/// | `0x001A` | loadEmbeddingOptimizer   | `0x801A` | embeddingOptimizerLoaded      |
/// | `0x0020` | heartbeat                | `0x8020` | heartbeatReply                |
/// | `0x0021` | shutdown                 | `0x8021` | shutdownAck                   |
/// |          |                          | `0xFFFF` | error (reply to any request)  |
///
/// Payload layouts are written beside each message struct in `Messages.swift`.
public enum Proto {
  /// The four magic bytes that open every frame: ASCII "GUST".
  public static let magic: [UInt8] = [0x47, 0x55, 0x53, 0x54]
  /// `magic` read as a little-endian UInt32.
  public static let magicValue: UInt32 = 0x5453_5547
  /// The protocol version this build speaks (and the only one it accepts).
  public static let version: UInt16 = 1
  /// Bytes in the fixed header before the payload.
  public static let headerSize = 28
  /// Default largest payload a receiver accepts (512 MiB). Receivers may configure less (the
  /// authentication phase uses `handshakeMaxPayload`).
  public static let defaultMaxPayload = 512 << 20
  /// Largest payload accepted before a peer has authenticated.
  public static let handshakeMaxPayload = 4096

  /// The envelope's flag bits (layout above).
  public enum Flags {
    /// The payload crc32 was not computed (field is 0); accepted only by receivers that opt in.
    public static let uncheckedPayload: UInt32 = 1 << 0
    /// On a request: the reply may carry `uncheckedPayload`.
    public static let uncheckedReplyWelcome: UInt32 = 1 << 1
  }
}
