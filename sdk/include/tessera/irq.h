/*
 * tessera/irq.h - interrupt lines between devices.
 *
 * A line is owned by its sink (an interrupt controller or a CPU), which
 * creates it with a handler; sources (devices) get a pointer to it from
 * the board and drive its level.  Levels are 0/1; edge-triggered sinks
 * look at transitions themselves.  Setting a level is cheap and may happen
 * from a vCPU thread with the big lock held, or from the main loop.
 */
#ifndef TESSERA_IRQ_H
#define TESSERA_IRQ_H

#include <tessera/types.h>

TS_BEGIN_DECLS

typedef struct TsIrq TsIrq;

/* Called with the new level whenever a source sets the line. */
typedef void (*TsIrqHandler)(void *opaque, unsigned n, int level);

/* A line delivering to handler(opaque, n, level).  Free with ts_irq_free. */
TsIrq *ts_irq_new(TsIrqHandler handler, void *opaque, unsigned n);
void ts_irq_free(TsIrq *irq);

/* Drive the line.  A NULL line is allowed and ignored (unwired output). */
void ts_irq_set(TsIrq *irq, int level);
static inline void ts_irq_raise(TsIrq *irq) { ts_irq_set(irq, 1); }
static inline void ts_irq_lower(TsIrq *irq) { ts_irq_set(irq, 0); }

/* The level last set on the line. */
int ts_irq_level(const TsIrq *irq);

/* The number the sink gave the line (ts_irq_new's n): for an interrupt
 * controller's input, the interrupt number a device tree names, so a
 * source describes the line it was wired to rather than a number it was
 * told separately.  0 for NULL. */
unsigned ts_irq_number(const TsIrq *irq);

/*
 * Named lines of a device, so that a board can wire devices from different
 * plugins without knowing their structs (plugins cannot call each other).
 *
 * A sink declares `count` inputs called `name` (e.g. a CPU's "irq" with one
 * line per interrupt cause); a board fetches input n with ts_device_irq_in
 * and hands it to a source.  A source declares outputs by giving the core
 * an array of `count` TsIrq pointers it will drive with ts_irq_set; the
 * board fills slot n with ts_device_connect_irq_out.  Names are per device;
 * the names are forgotten when the device is unrealized (declare them in
 * realize).
 */
typedef struct TsDevice TsDevice;
void ts_device_init_irq_in(TsDevice *dev, const char *name, unsigned count,
                           TsIrqHandler handler, void *opaque);
/* Input n of `name`, or NULL if there is no such line. */
TsIrq *ts_device_irq_in(TsDevice *dev, const char *name, unsigned n);
void ts_device_init_irq_out(TsDevice *dev, const char *name, TsIrq **slots,
                            unsigned count);
/* Wire output n of `name` to `target`; false if there is no such output. */
bool ts_device_connect_irq_out(TsDevice *dev, const char *name, unsigned n,
                               TsIrq *target);

TS_END_DECLS

#endif
