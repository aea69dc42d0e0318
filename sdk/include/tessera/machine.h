/*
 * tessera/machine.h - boards (machines), accelerators and CPU targets.
 *
 * A machine type's user name is its type name without the "-machine"
 * suffix (`-M virt` is type "virt-machine").  The core creates the machine
 * object at "/machine", applies -machine properties, then calls init, which
 * builds the board: memory map, CPUs, on-board devices.  Devices from
 * -device are realized after init.
 */
#ifndef TESSERA_MACHINE_H
#define TESSERA_MACHINE_H

#include <tessera/object.h>

TS_BEGIN_DECLS

#define TS_TYPE_MACHINE "machine"
#define TS_MACHINE_SUFFIX "-machine"
#define TS_TYPE_ACCEL "accel"
#define TS_ACCEL_SUFFIX "-accel"
#define TS_TYPE_CPU "cpu"
#define TS_CPU_SUFFIX "-cpu"

typedef struct TsMachine TsMachine;
typedef struct TsMemoryRegion TsMemoryRegion;
typedef struct TsDevice TsDevice;

/*
 * -numa: how CPUs, memory and distances are split into NUMA nodes.  Only
 * given to machines whose class sets numa_supported; a board describes it
 * to the guest (device tree: numa-node-id on CPU and memory nodes, a
 * distance-map), it does not change how RAM is allocated.
 */
#define TS_NUMA_NO_INITIATOR UINT32_MAX

typedef struct TsNumaNode {
    /* Bytes of RAM in the node (0: a node without memory).  The nodes'
     * memory follows one another in node order from the start of the
     * board's RAM: node i's is at RAM base + mem_start, and the sizes add
     * up to TsMachineConfig.ram_size. */
    uint64_t mem_size;
    uint64_t mem_start;
    const char *memdev;         /* -numa node,memdev= backend id, or NULL */
    const unsigned *cpus;       /* the node's CPU indexes, ascending */
    unsigned n_cpus;
    /* With -machine hmat=on: the node whose CPUs have the best access to
     * this node's memory (a node with CPUs is its own initiator), or
     * TS_NUMA_NO_INITIATOR when none was given or without hmat=on. */
    unsigned initiator;
    void *reserved[4];
} TsNumaNode;

typedef struct TsNumaConfig {
    unsigned n_nodes;           /* node ids are 0 .. n_nodes-1 */
    const TsNumaNode *nodes;    /* [n_nodes] */
    /* [max_cpus]: the node of every possible CPU index.  CPUs that no
     * -numa option placed are in node 0, or, when no option placed any,
     * split into contiguous runs, one per node (as in QEMU). */
    const unsigned *cpu_node;
    /* [n_nodes * n_nodes], distance[src * n_nodes + dst]: 10 from a node
     * to itself, 255 for unreachable, filled in symmetrically where only
     * one direction was given.  NULL when no -numa dist was given: the
     * board then describes no distances (the guest assumes its defaults). */
    const uint8_t *distance;
    /* (-numa hmat-lb and hmat-cache are checked by the core but not
     * passed on until a board builds an ACPI HMAT or its device-tree
     * equivalent: the reserved slots are there for them.) */
    void *reserved[12];
} TsNumaConfig;

/* What the command line asked of the machine; owned by the core. */
typedef struct TsMachineConfig {
    uint64_t ram_size;          /* -m, bytes */
    unsigned cpus;              /* -smp cpus */
    unsigned max_cpus;
    /* The CPU type to create: -cpu's model as a type name ("rv64-cpu"),
     * else the class's default_cpu_type.  The core parsed -cpu once: its
     * prop=value list is in effect for every CPU of that type the board
     * creates (a bad property fails that creation, naming -cpu). */
    const char *cpu_type;
    const char *kernel;         /* -kernel or NULL */
    const char *initrd;         /* -initrd or NULL */
    const char *append;         /* -append or NULL */
    const char *firmware;       /* -bios or NULL */
    const char *dtb;            /* -dtb or NULL */
    /* The -smp topology: cpus..max_cpus are numbered with threads
     * varying fastest, then cores, clusters, dies, sockets.  All are at
     * least 1 (1 for levels the machine does not model). */
    unsigned sockets, dies, clusters, cores, threads;
    const TsNumaConfig *numa;   /* -numa, or NULL without -numa */
    /* -boot is parsed and checked by the core; it reaches boards when
     * one has firmware that takes a boot order (a reserved slot). */
    void *reserved[12];
} TsMachineConfig;

typedef struct TsMachineClass {
    TsObjectClass parent;
    const char *target;         /* target it emulates; NULL: every target */
    bool is_default;            /* -M default for its target */
    bool no_cpus;               /* needs no CPU and no accelerator */
    unsigned max_cpus;
    uint64_t default_ram_size;  /* bytes; 0: the core's 128 MiB */
    const char *default_cpu_type;
    /* Build the board.  false + errp on failure. */
    bool (*init)(TsMachine *machine, GError **errp);
    /* Optional, called for each -device / device_add device after its
     * properties are set and before it is realized, so the board can give
     * it a place (a free virtio-mmio slot: its "addr" and interrupt).
     * false + errp refuses the device (no free slot). */
    bool (*pre_plug)(TsMachine *machine, TsDevice *dev, GError **errp);
    /* Optional, called once after every -device is realized and before the
     * CPUs first run: where a board that describes itself to the guest
     * (a device tree) builds that description and loads its firmware. */
    bool (*machine_done)(TsMachine *machine, GError **errp);
    /* Optional, called on every system reset after all devices were reset
     * (put boot images back in RAM, re-arm the boot ROM). */
    void (*reset)(TsMachine *machine);
    /* The board reads config->numa (and takes -machine hmat=on): without
     * it, -numa is refused ("NUMA is not supported by this machine-type")
     * rather than silently ignored. */
    bool numa_supported;
    void *reserved[4];
} TsMachineClass;

struct TsMachine {
    TsObject parent;
    const TsMachineConfig *config;
    void *reserved[8];
};

/* ---- what firmware interfaces report (since ABI 1.5) ---------------- */

/* One -fw_cfg item: name=NAME with file= (its contents) or string=. */
typedef struct TsFwCfgItem {
    const char *name;           /* "opt/..." (at most 55 bytes) */
    const void *data;
    size_t len;
} TsFwCfgItem;

/* What a board's fw_cfg device (or other firmware interface) reports,
 * from the command line; valid from the board's init on. */
typedef struct TsFwCfgInfo {
    const TsFwCfgItem *items;   /* -fw_cfg, in command-line order */
    unsigned n_items;
    uint8_t uuid[16];           /* -uuid; zeroes without it */
    bool nographic;             /* -nographic */
    bool boot_menu;             /* -boot menu=on */
    int32_t reboot_timeout;     /* -boot reboot-timeout= ms; -1: none */
    void *reserved[4];
} TsFwCfgInfo;

const TsFwCfgInfo *ts_machine_fw_cfg_info(void);

#define TS_MACHINE_GET_CLASS(obj) \
    ((TsMachineClass *)ts_class_dynamic_cast(TS_OBJECT(obj)->klass, \
                                             TS_TYPE_MACHINE))

/* The root container of the system address space (see memory.h). */
TsMemoryRegion *ts_machine_system_memory(void);

/* The chardev behind -serial number `index` (or -nographic's stdio for 0),
 * or NULL when that serial port is not connected. */
typedef struct TsChardev TsChardev;
TsChardev *ts_machine_serial(unsigned index);

typedef enum TsShutdownCause {
    TS_SHUTDOWN_GUEST_POWEROFF,   /* guest asked to power off */
    TS_SHUTDOWN_GUEST_RESET,      /* guest asked to reset */
    TS_SHUTDOWN_GUEST_PANIC,
    TS_SHUTDOWN_HOST,             /* quit from a monitor, signal */
} TsShutdownCause;

/*
 * Ask the core to power off or reset the VM.  Safe from any thread; the
 * main loop acts on it.  exit_code is the process status for a poweroff
 * (a guest's test finisher may report failure through it).
 */
void ts_request_shutdown(TsShutdownCause cause, int exit_code);

typedef struct TsAccelClass {
    TsObjectClass parent;
    /* Prepare to run the machine's CPUs.  `accel` is the accelerator
     * instance, its -accel properties already set.  false + errp if the
     * accelerator cannot be used here (the next -accel is then tried). */
    bool (*init_machine)(TsObject *accel, TsMachine *machine, GError **errp);
    void *reserved[8];
} TsAccelClass;

TS_END_DECLS

#endif
