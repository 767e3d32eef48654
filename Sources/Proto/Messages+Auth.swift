// Authentication messages: the first exchange on every connection (Net's handshake).
//
//   client                                   server
//   hello(role, rank, clientNonce)   ──►
//                                    ◄──     challenge(serverNonce)
//   proof(HMAC(secret, client transcript)) ──►
//                                    ◄──     authOK(HMAC(secret, server transcript))
//
// Anything else first, or a wrong proof, and the server closes without sending another byte.

/// Who is connecting (reported in logs; a server may refuse roles it does not serve).
public enum ClientRole: UInt16, CaseIterable, Sendable {
  case trainer = 1
  case launcher = 2
  case server = 3
  case tool = 4
}

/// hello (0x0001): `u16 role` · `u32 rank` · `bytes nonce` (the client's random nonce).
public struct Hello: PayloadCodable {
  public var role: ClientRole
  public var rank: UInt32
  public var nonce: [UInt8]

  public init(role: ClientRole, rank: UInt32, nonce: [UInt8]) {
    self.role = role
    self.rank = rank
    self.nonce = nonce
  }

  public func encode(into w: inout WireWriter) {
    w.write(role.rawValue)
    w.write(rank)
    w.writeBytes(nonce)
  }

  public init(from r: inout WireReader) throws {
    let raw = try r.readUInt16("role")
    guard let role = ClientRole(rawValue: raw) else {
      throw ProtoError(.malformed, "unknown client role \(raw)")
    }
    self.role = role
    rank = try r.readUInt32("rank")
    nonce = try r.readBytes("nonce")
  }

  public var estimatedSize: Int { 10 + nonce.count }
}

/// challenge (0x8001): `bytes nonce` (the server's random nonce).
public struct Challenge: PayloadCodable {
  public var nonce: [UInt8]
  public init(nonce: [UInt8]) { self.nonce = nonce }
  public func encode(into w: inout WireWriter) { w.writeBytes(nonce) }
  public init(from r: inout WireReader) throws { nonce = try r.readBytes("nonce") }
  public var estimatedSize: Int { 4 + nonce.count }
}

/// proof (0x0002): `bytes hmac` (HMAC-SHA256 of the client transcript under the job secret).
public struct Proof: PayloadCodable {
  public var hmac: [UInt8]
  public init(hmac: [UInt8]) { self.hmac = hmac }
  public func encode(into w: inout WireWriter) { w.writeBytes(hmac) }
  public init(from r: inout WireReader) throws { hmac = try r.readBytes("hmac") }
  public var estimatedSize: Int { 4 + hmac.count }
}

/// authOK (0x8002): `bytes serverProof` (HMAC-SHA256 of the server transcript: the server shows
/// it holds the secret too, so a client never sends graph requests to an impostor).
public struct AuthOK: PayloadCodable {
  public var serverProof: [UInt8]
  public init(serverProof: [UInt8]) { self.serverProof = serverProof }
  public func encode(into w: inout WireWriter) { w.writeBytes(serverProof) }
  public init(from r: inout WireReader) throws { serverProof = try r.readBytes("server proof") }
  public var estimatedSize: Int { 4 + serverProof.count }
}
