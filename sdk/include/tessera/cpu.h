/*
 * tessera/cpu.h - CPUs and how accelerators run them.
 *
 * A CPU is a device ("cpu" type) created by the board.  Its class provides
 * exec(), which runs guest code until a budget is spent, the CPU idles
 * (WFI/HLT) or someone asks it to stop.  An accelerator owns the threads
 * that call exec(): one per CPU (multi-threaded) or one for all (round
 * robin).  exec() runs WITHOUT the big lock; a CPU takes the lock (see
 * <tessera/loop.h>) around anything that touches devices, or reaches
 * devices through the memory API, which takes it for MMIO on its own.
 *
 * CPU and accelerator plugins reach into each other's internals (a JIT
 * calls a target's translator), so they are built in the internal tier:
 * declare them with TS_PLUGIN_INTERNAL, and they load only into the core
 * build they came from.
 */
#ifndef TESSERA_CPU_H
#define TESSERA_CPU_H

#include <tessera/device.h>
#include <tessera/machine.h>

TS_BEGIN_DECLS

typedef struct TsCpu TsCpu;
typedef struct TsAddressSpace TsAddressSpace;

/* Why exec() returned. */
typedef enum TsCpuExit {
    TS_CPU_EXIT_BUDGET,     /* ran its budget; call again */
    TS_CPU_EXIT_IDLE,       /* waiting for an interrupt (WFI) */
    TS_CPU_EXIT_REQUEST,    /* exit_request was set: re-check VM state */
    TS_CPU_EXIT_HALT,       /* the CPU is off (stopped hart) */
    TS_CPU_EXIT_DEBUG,      /* a debugger breakpoint is at pc, or the single
                               step it asked for is done (set_debug) */
} TsCpuExit;

typedef struct TsCpuClass {
    TsDeviceClass parent;
    /* Run guest code for at most `budget` instructions. */
    TsCpuExit (*exec)(TsCpu *cpu, uint64_t budget);
    /* True if an interrupt is pending that ends an idle/halt state. */
    bool (*has_work)(TsCpu *cpu);
    /* Append a human-readable register dump (HMP `info registers`). */
    void (*dump_state)(TsCpu *cpu, GString *out);
    /* Read a register by name for monitor expressions ($pc, $a0...). */
    bool (*read_register)(TsCpu *cpu, const char *name, uint64_t *value);
    /* Set the program counter (a loader's entry point, a debugger).  Call
     * only while the CPU is not running (VM stopped, or from a reset
     * handler that runs after the CPU's own reset). */
    void (*set_pc)(TsCpu *cpu, uint64_t pc);
    /* Make a running exec() return soon (ts_cpu_kick calls it before the
     * accelerator's hook).  Any thread; must not block. */
    void (*kick)(TsCpu *cpu);
    /*
     * Debugger hooks (the gdbstub), NULL where a CPU type has none.  Call
     * them only while the CPU is not in exec() (the VM stopped).
     *
     * gdb_read_register: copy register `n`, numbered as the CPU's target
     * description numbers it, into buf in the target's byte order; returns
     * its size in bytes (at most `size`), 0 if there is no such register.
     * gdb_write_register: the reverse; returns the bytes taken, or 0.
     */
    size_t (*gdb_read_register)(TsCpu *cpu, unsigned n, uint8_t *buf,
                                size_t size);
    size_t (*gdb_write_register)(TsCpu *cpu, unsigned n, const uint8_t *buf,
                                 size_t len);
    /* The GDB target description document `annex` ("target.xml" and the
     * files it includes), or NULL.  Static text owned by the CPU type. */
    const char *(*gdb_target_xml)(TsCpu *cpu, const char *annex);
    /* Translate a virtual address through the CPU's current MMU view, as
     * a data load would (no side effects, no fault taken); the identity
     * when paging is off.  False if the address does not translate. */
    bool (*debug_translate)(TsCpu *cpu, uint64_t vaddr, uint64_t *paddr);
    /* Set what exec() must stop at: before running an instruction whose
     * address is one of breakpoints[0..n) (copied), and, with
     * single_step, after each instruction.  exec() then returns
     * TS_CPU_EXIT_DEBUG with pc at the breakpoint or the next
     * instruction.  n == 0 and !single_step turn it off. */
    void (*set_debug)(TsCpu *cpu, const uint64_t *breakpoints, unsigned n,
                      bool single_step);
    void *reserved[1];
} TsCpuClass;

struct TsCpu {
    TsDevice parent;
    unsigned index;              /* 0-based CPU number */
    TsAddressSpace *as;          /* what the CPU sees as physical memory */
    int exit_request;            /* atomic; set by ts_cpu_kick */
    bool halted;                 /* off until started (e.g. SBI HSM) */
    void *accel_state;           /* owned by the accelerator */
    void *reserved[6];
};

#define TS_CPU_GET_CLASS(obj) \
    ((TsCpuClass *)ts_class_dynamic_cast(TS_OBJECT(obj)->klass, TS_TYPE_CPU))

/* Add a CPU to the machine's list (the board calls it after realize). */
void ts_cpu_add(TsCpu *cpu);
/* Number of CPUs and the CPU of that index, or NULL. */
unsigned ts_cpu_count(void);
TsCpu *ts_cpu_by_index(unsigned index);

/*
 * Make exec() return soon and wake the CPU's thread if it idles: call after
 * raising an interrupt line or to stop the VM.  Safe from any thread.
 */
void ts_cpu_kick(TsCpu *cpu);

/*
 * Accelerators: after init_machine, the core calls start_cpus once the
 * machine and devices exist; the accelerator starts its threads, which
 * run only while ts_vm_running().
 */
typedef struct TsAccelOps {
    bool (*start_cpus)(GError **errp);
    /* After the main loop ended: make the CPU threads leave and join them,
     * so no guest code runs while the process tears down. */
    void (*stop_cpus)(void);
    /* Called with the VM stopped (CPUs already kicked), WITHOUT the big
     * lock (a CPU in exec() may be waiting for it to finish an MMIO
     * access): return once no CPU is inside exec().  The core then takes
     * the lock and changes CPU state from its own thread (system reset,
     * a loader's pc) while the stopped VM keeps them out. */
    void (*wait_idle)(void);
    void *reserved[3];
} TsAccelOps;

/*
 * An accelerator calls this, with the big lock held, when exec() returned
 * TS_CPU_EXIT_DEBUG: the VM stops in the "debug" run state and the
 * debugger attached (the gdbstub) is told which CPU stopped.  The other
 * CPUs stop as with ts_vm_stop().
 */
void ts_cpu_debug_stopped(TsCpu *cpu);

/* Called by an accelerator's init_machine to register its CPU runner. */
void ts_accel_set_ops(const TsAccelOps *ops);

/* The accelerator's way to wake a CPU thread that idles when ts_cpu_kick
 * is called (e.g. signal a condition variable). */
void ts_cpu_set_kick_hook(void (*hook)(TsCpu *cpu));

/* Declare an internal-tier plugin (CPU targets, accelerators). */
#define TS_PLUGIN_INTERNAL(name_, desc_, init_, build_id_)                  \
    TS_EXPORT const TsPluginDescriptor tessera_plugin_descriptor = {       \
        .magic = TS_PLUGIN_MAGIC, .abi_major = TS_ABI_MAJOR,                \
        .abi_minor = TS_ABI_MINOR, .name = (name_), .description = (desc_), \
        .tier = TS_PLUGIN_TIER_INTERNAL, .build_id = (build_id_),           \
        .init = (init_),                                                    \
    }

TS_END_DECLS

#endif
