/*
 * Compressed clusters: zlib (raw deflate, no zlib header) or zstd,
 * as the header's compression type says.  The stored data is rounded up
 * to whole sectors, so whatever follows the stream is ignored; the output
 * must fill the cluster exactly.
 */
#include "qcow2-int.h"

#include <errno.h>
#include <zlib.h>
#include <zstd.h>

static int inflate_raw(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    z_stream z = {0};
    if (inflateInit2(&z, -15) != Z_OK)
        return -ENOMEM;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)out_len;
    int r = inflate(&z, Z_FINISH);
    /* Z_BUF_ERROR: the output is full but the stream has not said it
     * ended (trailing padding); a full cluster is all we need. */
    bool ok = (r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK) && z.avail_out == 0;
    inflateEnd(&z);
    return ok ? 0 : -EIO;
}

static int zstd_decode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d)
        return -ENOMEM;
    ZSTD_inBuffer ib = { in, in_len, 0 };
    ZSTD_outBuffer ob = { out, out_len, 0 };
    int ret = 0;
    while (ob.pos < ob.size) {
        size_t r = ZSTD_decompressStream(d, &ob, &ib);
        if (ZSTD_isError(r)) {
            ret = -EIO;
            break;
        }
        /* No progress possible: input used up or a frame ended short. */
        if (ob.pos < ob.size && (ib.pos == ib.size || r == 0)) {
            ret = -EIO;
            break;
        }
    }
    ZSTD_freeDCtx(d);
    return ret;
}

int qcow2_decompress(int type, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t out_len)
{
    if (type == QCOW2_COMPRESSION_ZSTD)
        return zstd_decode(in, in_len, out, out_len);
    return inflate_raw(in, in_len, out, out_len);
}

/* Compress one cluster; the output's length, or 0 when it would not be
 * smaller than the cluster (then it is stored plain). */
size_t qcow2_compress(int type, const uint8_t *in, size_t len, uint8_t *out, size_t out_max)
{
    if (type == QCOW2_COMPRESSION_ZSTD) {
        size_t r = ZSTD_compress(out, out_max, in, len, ZSTD_CLEVEL_DEFAULT);
        return ZSTD_isError(r) || r >= len ? 0 : r;
    }
    /* Raw deflate with a 4 KiB window: what QEMU writes, and all that
     * its reader (and older ones) accept. */
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)out_max;
    int r = deflate(&z, Z_FINISH);
    size_t n = out_max - z.avail_out;
    deflateEnd(&z);
    return r == Z_STREAM_END && n < len ? n : 0;
}
