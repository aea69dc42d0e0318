/*
 * virtio-blk.h - what the two files of the virtio block device share: the
 * device's state (virtio-blk.c: properties, configuration, life cycle)
 * and the requests (virtio-blk-request.c: parsing a chain, running it on
 * the block backend, completing it).
 */
#ifndef DEV_VIRTIO_BLK_H
#define DEV_VIRTIO_BLK_H

#include <tessera/tessera.h>
#include <tessera/block.h>

/* Feature bits (VIRTIO 1.2, 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX       1
#define VIRTIO_BLK_F_SEG_MAX        2
#define VIRTIO_BLK_F_RO             5
#define VIRTIO_BLK_F_BLK_SIZE       6
#define VIRTIO_BLK_F_FLUSH          9
#define VIRTIO_BLK_F_TOPOLOGY       10
#define VIRTIO_BLK_F_CONFIG_WCE     11
#define VIRTIO_BLK_F_MQ             12
#define VIRTIO_BLK_F_DISCARD        13
#define VIRTIO_BLK_F_WRITE_ZEROES   14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN             0
#define VIRTIO_BLK_T_OUT            1
#define VIRTIO_BLK_T_FLUSH          4
#define VIRTIO_BLK_T_GET_ID         8
#define VIRTIO_BLK_T_DISCARD        11
#define VIRTIO_BLK_T_WRITE_ZEROES   13

#define VIRTIO_BLK_S_OK             0
#define VIRTIO_BLK_S_IOERR          1
#define VIRTIO_BLK_S_UNSUPP         2

/* The header every request starts with, and a discard / write-zeroes
 * segment; both little-endian. */
#define VBLK_HEADER_SIZE            16
#define VBLK_DWZ_SEG_SIZE           16
#define VBLK_WZ_FLAG_UNMAP          1u

/* GET_ID answers this many bytes: the serial, NUL-padded. */
#define VBLK_ID_BYTES               20

#define VBLK_SECTOR                 512
/* The largest queue: seg_max is what a request may carry beyond its
 * header and status (QEMU's seg-max-adjust). */
#define VBLK_QUEUE_SIZE             256
/* Segments one discard or write-zeroes request may carry (QEMU's 1). */
#define VBLK_DWZ_SEG_MAX            1

/* Guest data goes through host buffers of at most this size: a request
 * larger than that is done in pieces, one after the other. */
#define VBLK_CHUNK_BYTES            (1024 * 1024)
/* Host buffers in use for requests in flight, at most: beyond it the
 * device takes no more chains until some complete. */
#define VBLK_INFLIGHT_BYTES         (64 * 1024 * 1024)

typedef struct VblkRequest VblkRequest;

typedef struct VirtioBlk {
    TsVirtioDevice parent;

    /* Properties, as QEMU names them. */
    char *drive;
    char *serial;
    uint64_t logical_block_size;    /* 0: the backend's */
    uint64_t physical_block_size;   /* 0: the backend's */
    uint64_t min_io_size, opt_io_size;
    uint64_t num_queues;
    bool config_wce;
    bool discard, write_zeroes;
    uint64_t max_discard_sectors, max_write_zeroes_sectors;
    bool event_idx, indirect_desc;

    /* Set at realize. */
    TsBlockBackend *blk;
    uint32_t lbs, pbs;              /* the block sizes in force */
    bool read_only;
    bool original_wce;              /* restored when the driver resets */

    /* Requests.  `epoch` moves on at every reset: a request carries the
     * epoch it was taken in, and one that completes in a later epoch is
     * dropped, never written into the guest or pushed on a queue the
     * driver has set up again since. */
    uint64_t epoch;
    unsigned inflight;              /* requests the backend holds */
    unsigned inflight_mapped;       /* of which on mapped guest memory */
    uint64_t inflight_bytes;        /* their host buffers */
    bool starved;                   /* queues wait for buffers, or for
                                     * the bottom half to go on */
    VblkRequest *held[TS_VIRTIO_QUEUES_MAX];    /* a chain taken that
                                                 * waits for buffers */
    GQueue deferred;                /* completed while the device was busy */
    TsBH *deferred_bh;
    GSList *free_reqs;              /* spare requests (a chain is large) */
    unsigned n_free;
    uint64_t spare_buf_bytes;       /* host buffers the spares keep */
} VirtioBlk;

/* virtio-blk-request.c */

/* queue_notify: take and start up to a queue's worth of chains; true if
 * some may be left. */
bool vblk_handle_queue(VirtioBlk *b, unsigned q);
/* The driver or the machine reset the device: requests in flight belong
 * to the old epoch, and those working on mapped guest memory are waited
 * for (no DMA after the reset). */
void vblk_requests_reset(VirtioBlk *b);
/* Unrealize: after the backend is detached (nothing in flight). */
void vblk_requests_free(VirtioBlk *b);
/* Bottom half finishing completions that found the device busy. */
void vblk_deferred_bh(void *opaque);

/* virtio-blk.c */

/* The disk's size in bytes, as the guest sees it now. */
uint64_t vblk_capacity(VirtioBlk *b);
/* Whether the driver accepted feature `bit`. */
bool vblk_has_feature(VirtioBlk *b, unsigned bit);

#endif
