/*
 * core/virtio/virtio-transports.h - what the rest of the core calls of
 * core/virtio: registering the abstract transport types at start-up, so
 * that every device plugin finds them and none of them registers them.
 */
#ifndef TESSERA_CORE_VIRTIO_TRANSPORTS_H
#define TESSERA_CORE_VIRTIO_TRANSPORTS_H

void virtio_transports_register(void);

#endif
