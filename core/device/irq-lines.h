/*
 * core/device/irq-lines.h - the named-line table's life cycle, for device.c
 * and object.c.
 */
#ifndef TESSERA_CORE_IRQ_LINES_H
#define TESSERA_CORE_IRQ_LINES_H

#include <tessera/irq.h>

/* Drop every named line `dev` declared (its inputs are freed; its output
 * slots belong to the device).  Called when a device is unrealized or
 * finalized, so a later device at the same address never sees them. */
void irq_forget_device(TsDevice *dev);

#endif
