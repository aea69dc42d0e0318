/*
 * plugins/blk-nbd/nbd-proto.h - the NBD protocol's numbers, as the
 * protocol document (NetworkBlockDevice/nbd doc/proto.md) gives them,
 * and big-endian field access.  Only what a client needs; the plugin
 * shares nothing with the core's NBD server on purpose (it sees only
 * the SDK).
 */
#ifndef PLUGINS_BLK_NBD_PROTO_H
#define PLUGINS_BLK_NBD_PROTO_H

#include <stdint.h>

#define NBD_DEFAULT_PORT "10809"

/* ---- handshake ---------------------------------------------------- */

#define NBD_MAGIC_INIT          UINT64_C(0x4e42444d41474943) /* NBDMAGIC */
#define NBD_MAGIC_OLDSTYLE      UINT64_C(0x0000420281861253)
#define NBD_MAGIC_OPTS          UINT64_C(0x49484156454f5054) /* IHAVEOPT */
#define NBD_MAGIC_OPT_REPLY     UINT64_C(0x0003e889045565a9)

/* Server handshake flags (16 bits) and the client's answer (32 bits). */
#define NBD_FLAG_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_NO_ZEROES      (1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_C_NO_ZEROES    (1u << 1)

enum {
    NBD_OPT_EXPORT_NAME = 1,
    NBD_OPT_ABORT = 2,
    NBD_OPT_LIST = 3,
    NBD_OPT_STARTTLS = 5,
    NBD_OPT_INFO = 6,
    NBD_OPT_GO = 7,
    NBD_OPT_STRUCTURED_REPLY = 8,
    NBD_OPT_LIST_META_CONTEXT = 9,
    NBD_OPT_SET_META_CONTEXT = 10,
};

#define NBD_REP_ERR_BIT         (1u << 31)
enum {
    NBD_REP_ACK = 1,
    NBD_REP_SERVER = 2,
    NBD_REP_INFO = 3,
    NBD_REP_META_CONTEXT = 4,
    NBD_REP_ERR_UNSUP = NBD_REP_ERR_BIT | 1,
    NBD_REP_ERR_POLICY = NBD_REP_ERR_BIT | 2,
    NBD_REP_ERR_INVALID = NBD_REP_ERR_BIT | 3,
    NBD_REP_ERR_PLATFORM = NBD_REP_ERR_BIT | 4,
    NBD_REP_ERR_TLS_REQD = NBD_REP_ERR_BIT | 5,
    NBD_REP_ERR_UNKNOWN = NBD_REP_ERR_BIT | 6,
    NBD_REP_ERR_SHUTDOWN = NBD_REP_ERR_BIT | 7,
    NBD_REP_ERR_BLOCK_SIZE_REQD = NBD_REP_ERR_BIT | 8,
    NBD_REP_ERR_TOO_BIG = NBD_REP_ERR_BIT | 9,
};

/* NBD_REP_INFO types (and what NBD_OPT_GO asks for). */
enum {
    NBD_INFO_EXPORT = 0,
    NBD_INFO_NAME = 1,
    NBD_INFO_DESCRIPTION = 2,
    NBD_INFO_BLOCK_SIZE = 3,
};

/* Transmission flags (16 bits, with the export's size). */
#define NBD_TFLAG_HAS_FLAGS         (1u << 0)
#define NBD_TFLAG_READ_ONLY         (1u << 1)
#define NBD_TFLAG_SEND_FLUSH        (1u << 2)
#define NBD_TFLAG_SEND_FUA          (1u << 3)
#define NBD_TFLAG_ROTATIONAL        (1u << 4)
#define NBD_TFLAG_SEND_TRIM         (1u << 5)
#define NBD_TFLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBD_TFLAG_SEND_DF           (1u << 7)
#define NBD_TFLAG_CAN_MULTI_CONN    (1u << 8)
#define NBD_TFLAG_SEND_FAST_ZERO    (1u << 11)

/* ---- transmission ------------------------------------------------- */

#define NBD_MAGIC_REQUEST       UINT32_C(0x25609513)
#define NBD_MAGIC_SIMPLE_REPLY  UINT32_C(0x67446698)
#define NBD_MAGIC_STRUCTURED_REPLY UINT32_C(0x668e33ef)

enum {
    NBD_CMD_READ = 0,
    NBD_CMD_WRITE = 1,
    NBD_CMD_DISC = 2,
    NBD_CMD_FLUSH = 3,
    NBD_CMD_TRIM = 4,
    NBD_CMD_WRITE_ZEROES = 6,
    NBD_CMD_BLOCK_STATUS = 7,
};

#define NBD_CMD_FLAG_FUA        (1u << 0)
#define NBD_CMD_FLAG_NO_HOLE    (1u << 1)
#define NBD_CMD_FLAG_DF         (1u << 2)
#define NBD_CMD_FLAG_REQ_ONE    (1u << 3)
#define NBD_CMD_FLAG_FAST_ZERO  (1u << 4)

/* Structured reply chunks. */
#define NBD_REPLY_FLAG_DONE     (1u << 0)
enum {
    NBD_REPLY_TYPE_NONE = 0,
    NBD_REPLY_TYPE_OFFSET_DATA = 1,
    NBD_REPLY_TYPE_OFFSET_HOLE = 2,
    NBD_REPLY_TYPE_BLOCK_STATUS = 5,
    NBD_REPLY_TYPE_ERROR = (1u << 15) | 1,
    NBD_REPLY_TYPE_ERROR_OFFSET = (1u << 15) | 2,
};
#define NBD_REPLY_TYPE_IS_ERROR(t) (((t) >> 15) & 1)

/* base:allocation's extent flags. */
#define NBD_STATE_HOLE          (1u << 0)
#define NBD_STATE_ZERO          (1u << 1)

/* Error numbers on the wire (not necessarily the host's errno values). */
enum {
    NBD_EPERM = 1,
    NBD_EIO = 5,
    NBD_ENOMEM = 12,
    NBD_EINVAL = 22,
    NBD_ENOSPC = 28,
    NBD_EOVERFLOW = 75,
    NBD_ENOTSUP = 95,
    NBD_ESHUTDOWN = 108,
};

/* Sizes of the fixed parts. */
#define NBD_REQUEST_SIZE        28
#define NBD_SIMPLE_REPLY_SIZE   16
#define NBD_STRUCTURED_HDR_SIZE 20
/* Strings (export names, messages) are at most 4096 bytes. */
#define NBD_MAX_STRING          4096

/* ---- big-endian fields -------------------------------------------- */

static inline void nbd_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void nbd_put32(uint8_t *p, uint32_t v)
{
    nbd_put16(p, (uint16_t)(v >> 16));
    nbd_put16(p + 2, (uint16_t)v);
}

static inline void nbd_put64(uint8_t *p, uint64_t v)
{
    nbd_put32(p, (uint32_t)(v >> 32));
    nbd_put32(p + 4, (uint32_t)v);
}

static inline uint16_t nbd_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t nbd_get32(const uint8_t *p)
{
    return ((uint32_t)nbd_get16(p) << 16) | nbd_get16(p + 2);
}

static inline uint64_t nbd_get64(const uint8_t *p)
{
    return ((uint64_t)nbd_get32(p) << 32) | nbd_get32(p + 4);
}

#endif
