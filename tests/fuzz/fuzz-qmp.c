/*
 * libFuzzer target: a QMP session fed arbitrary bytes, in two chunks so
 * that message splitting across reads is exercised too.  Replies go
 * nowhere; the session must survive anything.
 */
#include "monitor/qmp.h"

static void discard(const char *data, size_t len, void *opaque)
{
    (*(size_t *)opaque) += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t written = 0;
    QmpSession *s = qmp_session_new_limits(discard, &written, 1 << 16, 64);
    static const char negotiate[] = "{\"execute\":\"qmp_capabilities\"}";
    if (size && (data[0] & 1)) {
        qmp_session_feed(s, negotiate, sizeof(negotiate) - 1);
    }
    size_t half = size / 2;
    qmp_session_feed(s, data, half);
    qmp_session_feed(s, data + half, size - half);
    qmp_session_free(s);
    return 0;
}
