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
