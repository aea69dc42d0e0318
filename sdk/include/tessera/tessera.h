/* tessera/tessera.h - includes the whole plugin SDK. */
#ifndef TESSERA_TESSERA_H
#define TESSERA_TESSERA_H
#include <tessera/types.h>
#include <tessera/plugin.h>
#include <tessera/object.h>
#include <tessera/device.h>
#include <tessera/machine.h>
#include <tessera/memory.h>
#include <tessera/loop.h>
#include <tessera/irq.h>
#include <tessera/cpu.h>
#include <tessera/log.h>
#include <tessera/chardev.h>
#include <tessera/fdt.h>
#include <tessera/mmio-device.h>
#include <tessera/virtio.h>
#include <tessera/loader.h>
#include <tessera/block.h>
#include <tessera/pci.h>
#include <tessera/net.h>
#include <tessera/host.h>
#endif
