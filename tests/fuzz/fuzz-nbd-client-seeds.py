"""Seeds for fuzz-nbd-client (run-fuzzers.py loads SEEDS from here): a
server's side of whole conversations, as the target's first byte says
(bit 0: no handshake; bits 1, 2: structured replies, base:allocation)."""
import struct

OPT_REPLY = 0x3e889045565a9
SIMPLE, STRUCT = 0x67446698, 0x668e33ef


def opt(o, typ, data=b""):
    return struct.pack(">QIII", OPT_REPLY, o, typ, len(data)) + data


def chunk(flags, typ, handle, payload):
    return struct.pack(">IHHQI", STRUCT, flags, typ, handle,
                       len(payload)) + payload


HANDSHAKE = (b"NBDMAGIC" + struct.pack(">QH", 0x49484156454F5054, 3) +
             opt(8, 1) +                                   # structured
             opt(10, 4, struct.pack(">I", 1) + b"base:allocation") +
             opt(10, 1) +
             opt(7, 3, struct.pack(">HQH", 0, 1 << 20, 0x7ff)) +
             opt(7, 3, struct.pack(">HIII", 3, 1, 4096, 1 << 20)) +
             opt(7, 1))

REPLIES = (chunk(0, 1, 1, struct.pack(">Q", 0) + b"a" * 2048) +
           chunk(0, 2, 1, struct.pack(">QI", 2048, 1024)) +
           chunk(1, 1, 1, struct.pack(">Q", 3072) + b"b" * 1024) +
           chunk(1, 5, 2, struct.pack(">III", 1, 32768, 3)) +
           struct.pack(">IIQ", SIMPLE, 0, 3) +
           chunk(1, 0x8001, 4, struct.pack(">IH", 5, 4) + b"oops"))

SIMPLE_REPLIES = (struct.pack(">IIQ", SIMPLE, 0, 1) + b"c" * 4096 +
                  struct.pack(">IIQ", SIMPLE, 22, 2) +
                  struct.pack(">IIQ", SIMPLE, 0, 3) +
                  struct.pack(">IIQ", SIMPLE, 0, 4))

OLD_SERVER = (b"NBDMAGIC" + struct.pack(">QH", 0x49484156454F5054, 1) +
              opt(8, 0x80000001) +
              opt(7, 0x80000001) +
              struct.pack(">QH", 1 << 20, 1) + bytes(124))

SEEDS = [b"\x00" + HANDSHAKE + REPLIES,
         b"\x06" + REPLIES,
         b"\x01" + SIMPLE_REPLIES,
         b"\x00" + OLD_SERVER + SIMPLE_REPLIES,
         b"\x00" + b"NBDMAGIC" + struct.pack(">QH", 0x49484156454F5054, 0) +
         struct.pack(">QH", 1 << 20, 1) + bytes(124)]
