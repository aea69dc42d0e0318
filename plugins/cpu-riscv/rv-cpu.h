/*
 * rv-cpu.h - the RISC-V 64 hart model (RV64GC interpreter), public face.
 *
 * A self-contained hart: it sees physical memory only through the RvBus
 * below and time only through a callback, so it can be tested on a plain
 * RAM buffer and plugged into the core's memory API later.  Everything a
 * board, a monitor or a debugger needs goes through these calls; the state
 * layout stays private to the rv-*.c files (rv-state.h).
 *
 * Threading: one thread runs rv_cpu_run() for a given hart.  The calls
 * rv_cpu_set_irq(), rv_cpu_request_exit() and rv_cpu_has_work() may be made
 * from any thread at any time.  Every other call must come from the thread
 * that runs the hart, or while it is not running.
 */
#ifndef RV_CPU_H
#define RV_CPU_H

#include <tessera/types.h>

/*
 * How the hart reaches physical memory.  load/store return 0 on success
 * and anything else for an access fault (unassigned address, device
 * refusal).  ram_ptr is the fast path: a host pointer to `len` bytes of RAM
 * at `paddr` (writable if `write`), or NULL when that range is not plain
 * RAM (the hart then falls back to load/store).  The pointer must stay
 * valid while the hart runs or until rv_cpu_flush_tlb() is called.
 */
typedef struct RvBus {
    void *opaque;
    int (*load)(void *opaque, uint64_t paddr, unsigned size, uint64_t *val);
    int (*store)(void *opaque, uint64_t paddr, unsigned size, uint64_t val);
    void *(*ram_ptr)(void *opaque, uint64_t paddr, uint64_t len, bool write);
} RvBus;

/* Extensions that can be toggled per hart (-cpu rv64,<ext>=on|off). */
typedef enum RvExt {
    RV_EXT_M        = 1u << 0,
    RV_EXT_A        = 1u << 1,
    RV_EXT_F        = 1u << 2,
    RV_EXT_D        = 1u << 3,
    RV_EXT_C        = 1u << 4,
    RV_EXT_S        = 1u << 5,   /* supervisor mode (and paging) */
    RV_EXT_U        = 1u << 6,   /* user mode */
    RV_EXT_ZICSR    = 1u << 7,   /* always on: the privileged ISA needs it */
    RV_EXT_ZIFENCEI = 1u << 8,
    RV_EXT_ZICNTR   = 1u << 9,
    RV_EXT_ZIHPM    = 1u << 10,
    RV_EXT_SSTC     = 1u << 11,
    RV_EXT_SVPBMT   = 1u << 12,
    RV_EXT_SMAIA    = 1u << 13,  /* Smaia+Ssaia: IMSIC files, not default */
} RvExt;

#define RV_EXT_DEFAULT (RV_EXT_M | RV_EXT_A | RV_EXT_F | RV_EXT_D | RV_EXT_C | \
                        RV_EXT_S | RV_EXT_U | RV_EXT_ZICSR | RV_EXT_ZIFENCEI | \
                        RV_EXT_ZICNTR | RV_EXT_ZIHPM | RV_EXT_SSTC |          \
                        RV_EXT_SVPBMT)

/* Largest paging mode that satp accepts. */
typedef enum RvMmuMode {
    RV_MMU_SV39 = 8,
    RV_MMU_SV48 = 9,
    RV_MMU_SV57 = 10,
} RvMmuMode;

typedef struct RvInsn RvInsn;    /* a decoded instruction, rv-insn.h */

/* A trap the hart just took, for logs (-d int).  `cause` is mcause or
 * scause as written (bit 63 set for an interrupt). */
typedef struct RvTrap {
    uint64_t cause;
    uint64_t epc;                   /* where it happened */
    uint64_t tval;
    uint64_t handler;               /* the pc it goes on at */
    unsigned from_priv, to_priv;    /* RV_PRIV_* */
} RvTrap;

typedef struct RvCpuConfig {
    uint64_t hart_id;               /* mhartid */
    uint32_t ext;                   /* RvExt bits; 0 means RV_EXT_DEFAULT */
    RvMmuMode max_mmu;              /* 0 means Sv57 */
    unsigned pmp_entries;           /* 0..16; 0 means 16 */
    RvBus bus;
    /* mtime in ticks (the CLINT's clock); NULL reads as 0. */
    uint64_t (*get_time)(void *opaque);
    void *time_opaque;
    /* Called (from any thread) after an interrupt line changed, so the
     * runner can wake an idle hart.  May be NULL. */
    void (*kick)(void *opaque);
    void *kick_opaque;
    /* Called on the hart's thread after each trap is taken (the trap
     * CSRs are written, pc is the handler).  May be NULL. */
    void (*on_trap)(void *opaque, const RvTrap *trap);
    void *trap_opaque;
    /* Called on the hart's thread when an instruction is decoded (a
     * decode-cache fill, or an uncached fetch), for -d in_asm.  Leave it
     * NULL unless logging: it is on the interpreter's fetch path. */
    void (*on_decode)(void *opaque, uint64_t pc, const RvInsn *insn);
    void *decode_opaque;
    /* The JIT's logs, called on the hart's thread while a block is
     * translated; both NULL unless logging (building the text costs).
     * -d op / op_opt: the IR of a block being translated, before
     * (optimised=false) and after the optimiser, as text (lines ending
     * in '\n'; the receiver shows only the ones asked for). */
    void (*on_jit_ir)(void *opaque, uint64_t pc, bool optimised, const char *text);
    /* -d out_asm: the host code of a block just translated, `size` bytes
     * at `code` (its executable address in the code cache, readable;
     * the size includes the alignment padding before the next block). */
    void (*on_jit_code)(void *opaque, uint64_t pc, const uint8_t *code, size_t size);
    void *jit_log_opaque;
} RvCpuConfig;

/* Why rv_cpu_run() returned. */
typedef enum RvStop {
    RV_STOP_BUDGET,     /* max_insns were executed */
    RV_STOP_WFI,        /* WFI with nothing pending: wait for rv_cpu_has_work */
    RV_STOP_EXIT,       /* rv_cpu_request_exit() was called */
    RV_STOP_DEBUG,      /* at a debugger breakpoint, or a single step done */
} RvStop;

/* Interrupt numbers (bit positions in mip/mie) that devices drive. */
enum {
    RV_IRQ_SSI = 1, RV_IRQ_MSI = 3, RV_IRQ_STI = 5, RV_IRQ_MTI = 7,
    RV_IRQ_SEI = 9, RV_IRQ_MEI = 11,
};

/* Privilege levels as the ISA encodes them. */
enum { RV_PRIV_U = 0, RV_PRIV_S = 1, RV_PRIV_M = 3 };

typedef struct RvCpu RvCpu;

/* Create a hart from `cfg` (copied).  NULL with errp set on a bad config. */
RvCpu *rv_cpu_new(const RvCpuConfig *cfg, GError **errp);
void rv_cpu_free(RvCpu *cpu);

/* Reset to M-mode at `pc`: registers cleared, CSRs at reset values. */
void rv_cpu_reset(RvCpu *cpu, uint64_t pc);

/*
 * Run at most `max_insns` steps: each retired instruction and each
 * exception taken counts one (so a guest that traps forever still
 * returns).  Returns why it stopped; *executed (may be NULL) gets the
 * number of steps used.  minstret counts retired instructions only.
 */
RvStop rv_cpu_run(RvCpu *cpu, uint64_t max_insns, uint64_t *executed);

/* Drive an interrupt line (RV_IRQ_MSI/MTI/MEI/SEI).  Any thread. */
void rv_cpu_set_irq(RvCpu *cpu, unsigned irq, bool level);
/* An MSI for the hart's IMSIC: identity `id` becomes pending in its
 * supervisor-level interrupt file (else the machine-level one).  Ignored
 * without RV_EXT_SMAIA or for an identity the file does not have.  Any
 * thread. */
void rv_cpu_imsic_send(RvCpu *cpu, bool supervisor, unsigned id);
/* Make rv_cpu_run() return RV_STOP_EXIT soon.  Any thread. */
void rv_cpu_request_exit(RvCpu *cpu);
/* True if an interrupt is pending and enabled in mie (ends WFI), counting
 * the Sstc timer.  Any thread. */
bool rv_cpu_has_work(RvCpu *cpu);
/* The mtime value at which the hart's own timer (Sstc stimecmp) fires,
 * or UINT64_MAX; a runner idling in WFI sleeps at most until then. */
uint64_t rv_cpu_timer_deadline(RvCpu *cpu);

/* Drop every cached translation and host pointer (the bus map changed). */
void rv_cpu_flush_tlb(RvCpu *cpu);

/*
 * Run guest code through the JIT (x86-64 hosts) from now on, with a code
 * cache of `cache_bytes` (0: 32 MiB).  The interpreter still executes
 * what the JIT leaves out.  False with errp set on other hosts or when
 * the host refuses executable memory.  Call while the hart is not running.
 */
bool rv_cpu_enable_jit(RvCpu *cpu, uint64_t cache_bytes, bool split_wx,
                       GError **errp);
bool rv_cpu_jit_enabled(const RvCpu *cpu);
/* Link blocks with direct jumps (the default) or not (-d nochain, for
 * debugging); changing it drops the translations made so far. */
void rv_cpu_jit_set_chaining(RvCpu *cpu, bool on);
/* Compile a block the `runs`-th time it runs, interpreting it before
 * (the default is 8: most boot code runs a few times only); 0 compiles
 * everything at once.  Applies to blocks met from now on. */
void rv_cpu_jit_set_threshold(RvCpu *cpu, unsigned runs);

/* What the JIT did so far (all zero without it). */
typedef struct RvJitStats {
    uint64_t blocks_translated;     /* compiled blocks made */
    uint64_t blocks_invalidated;    /* dropped because their code was written */
    uint64_t flushes;               /* whole cache emptied (full, fence.i, reset) */
    uint64_t insns_jitted;          /* instructions retired in compiled code */
    uint64_t jumps_chained;         /* direct jumps patched to their target */
} RvJitStats;
void rv_cpu_jit_stats(const RvCpu *cpu, RvJitStats *out);

/* "rv64imafdc_zicsr_zifencei_..." for the device tree; g_free it. */
char *rv_cpu_isa_string(const RvCpu *cpu);
/* Look up an extension by its ISA-string name ("m", "zicsr", "sstc"). */
bool rv_ext_from_name(const char *name, uint32_t *bit);

/* Register access for monitors and debuggers (no side effects). */
uint64_t rv_cpu_get_pc(const RvCpu *cpu);
void rv_cpu_set_pc(RvCpu *cpu, uint64_t pc);
uint64_t rv_cpu_get_xreg(const RvCpu *cpu, unsigned n);      /* n < 32 */
void rv_cpu_set_xreg(RvCpu *cpu, unsigned n, uint64_t v);
uint64_t rv_cpu_get_freg(const RvCpu *cpu, unsigned n);      /* raw 64 bits */
void rv_cpu_set_freg(RvCpu *cpu, unsigned n, uint64_t v);
unsigned rv_cpu_get_priv(const RvCpu *cpu);
/* CSR access as M-mode would see it, without privilege checks or traps;
 * false if the CSR does not exist. */
bool rv_cpu_read_csr(RvCpu *cpu, unsigned csr, uint64_t *val);
bool rv_cpu_write_csr(RvCpu *cpu, unsigned csr, uint64_t val);
/* Read a register by ABI or architectural name ("a0", "x10", "pc",
 * "mstatus", "f3"). */
bool rv_cpu_read_register(RvCpu *cpu, const char *name, uint64_t *val);
/* Translate a virtual address as a data load in the current mode would,
 * without side effects (no A/D updates); false on a fault. */
bool rv_cpu_debug_translate(RvCpu *cpu, uint64_t vaddr, uint64_t *paddr);

/*
 * A debugger's stops (debug.c): rv_cpu_run() returns RV_STOP_DEBUG before
 * running an instruction at one of breakpoints[0..n) (copied), and with
 * `single_step` after each instruction or trap.  n == 0 && !single_step
 * turns it off.  Call while the hart is not running.
 */
void rv_cpu_set_debug(RvCpu *cpu, const uint64_t *breakpoints, unsigned n,
                      bool single_step);
/* While a debugger has set anything: run one step, stopping first at a
 * breakpoint (interp.c's rv_cpu_run calls it). */
bool rv_debug_step(RvCpu *cpu, uint64_t *done);

/* Append an `info registers` style dump. */
void rv_cpu_dump_state(RvCpu *cpu, GString *out);

#endif
