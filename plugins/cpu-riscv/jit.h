/*
 * jit.h - the hart's JIT: translation blocks of RISC-V code compiled to
 * x86-64 (jit.c runs and caches them, jit-translate.c writes them).
 * Internal to the rv-*.c files, like rv-state.h.
 *
 * A translation block (TB) is a run of instructions in one guest page,
 * keyed by the physical address of its first instruction and the
 * privilege it runs at (plus the data-access privilege, which MPRV can
 * change), so that address-space switches and sfence.vma never throw
 * translations away.  Instructions the JIT does not compile (CSRs,
 * system instructions, anything that crosses a page) end a block; when a
 * block would start with one, the interpreter executes it instead.
 */
#ifndef RV_JIT_H
#define RV_JIT_H

#include "rv-state.h"
#include "code-cache.h"

/* How translated code returns (TcgExit.result & 3); the rest of the
 * result is the budget left, so the caller knows what retired. */
enum {
    RV_JIT_EXIT_NEXT = 0,     /* cpu->pc is the next instruction */
    RV_JIT_EXIT_EXC = 1,      /* exception recorded at cpu->pc: take it */
    RV_JIT_EXIT_STOP = 2,     /* like NEXT, and end the chunk (I/O, irq) */
};

/* Helper return values, tested by translated code. */
enum { RV_JIT_H_EXC = 0, RV_JIT_H_OK = 1, RV_JIT_H_STOP = 2 };

typedef enum RvTbKind {
    RV_TB_CODE,               /* compiled: run tb->code */
    RV_TB_INTERP,             /* interpret one instruction */
    RV_TB_COLD,               /* not compiled yet: interpret its icount
                               * instructions (one basic block) */
} RvTbKind;

/*
 * A guest physical page that blocks were made from, with a copy of its
 * bytes as they were translated.  The hart's own stores to it are caught
 * at once (see jit.c); stores by other harts or DMA only need to be seen
 * after this hart's fence.i, which bumps RvJit.fence_gen: the next time
 * the dispatcher picks a block of the page, it compares the copy with
 * memory (once per page per fence.i) and drops the page's blocks if they
 * differ.
 */
typedef struct RvJitPage {
    uint64_t key;             /* pa >> 12: the pages table's key */
    struct RvTb *tbs;         /* its blocks, through RvTb.page_next */
    uint64_t checked_gen;     /* fence_gen the copy was last found current */
    uint8_t bytes[RV_PAGE_SIZE];
} RvJitPage;

typedef struct RvTb {
    uint64_t pa;              /* physical address of the first instruction */
    uint64_t vpc;             /* virtual pc it was translated at (logs) */
    uint32_t flags;           /* priv | data priv << 2 */
    uint16_t icount;          /* instructions in the block */
    uint16_t heat;            /* RV_TB_COLD: times it ran */
    uint8_t kind;             /* RvTbKind */
    bool valid;
    bool csr;                 /* RV_TB_INTERP of a CSR instruction */
    const uint8_t *code;
    struct RvTb *hash_next;   /* same hash bucket */
    struct RvTb *page_next;   /* same guest physical page */
    RvJitPage *page;          /* the page it was made from */
} RvTb;

#define RV_JIT_HASH_BITS 17
#define RV_JIT_HASH_SIZE (1u << RV_JIT_HASH_BITS)

typedef struct RvJit {
    TcgCodeCache cache;
    RvTb *tbs;                /* pool, reset on flush */
    unsigned n_tbs, max_tbs;
    RvTb **hash;              /* RV_JIT_HASH_SIZE buckets */
    GHashTable *pages;        /* physical page number -> RvJitPage */
    uint64_t fence_gen;       /* fence.i executed so far */
    /* code shared by the blocks (jit-translate.c), made again after every
     * reset of the cache: thunks_epoch is the cache's flush count then */
    const uint8_t *thunk_load, *thunk_store, *fail_exit;
    /* what the jump cache gives translated code for a block not compiled
     * yet (RV_TB_COLD): back to the dispatcher with cpu->pc = r12 */
    const uint8_t *cold_entry;
    uint64_t thunks_epoch;
    bool have_thunks;
    /* statistics */
    uint64_t translated, invalidated, flushes, insns, chained;
    bool chain;               /* patch direct jumps between blocks */
    unsigned hot;             /* runs before a block is compiled (0: at once) */
    /* the translator's working memory (jit-translate.c), kept from one
     * block to the next: it is large, and a boot translates many blocks */
    struct Emit *scratch;
} RvJit;

/* Turn the JIT on with a code cache of `cache_bytes`, mapped twice
 * (writable, executable) with split_wx. */
bool rv_jit_enable(RvCpu *cpu, size_t cache_bytes, bool split_wx, GError **errp);
void rv_jit_free(RvCpu *cpu);
/* Chain blocks with direct jumps (default) or return to the dispatcher
 * after every block (-d nochain). */
void rv_jit_set_chaining(RvCpu *cpu, bool on);
/* Drop every translation (memory map changed, reset). */
void rv_jit_flush(RvCpu *cpu);
/* fence.i: blocks whose code another hart or DMA changed must go (lazily:
 * see RvJitPage).  Never called from translated code. */
void rv_jit_fence_i(RvCpu *cpu);
/* Run up to `budget` steps, as the interpreter's chunk does. */
uint64_t rv_jit_exec_chunk(RvCpu *cpu, uint64_t budget);
/* The hart is about to write physical page `ppage` (a write TLB fill):
 * drop the translations made from it. */
void rv_jit_note_write(RvCpu *cpu, uint64_t ppage);

/* jit-translate.c: compile the block starting at `pc` whose bytes are at
 * `host` (`page_left` bytes to the end of the page) into tb.  False when
 * the code cache is full. */
bool rv_jit_translate(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                      unsigned page_left);
/* The same, but only measure the basic block at `pc` for an RV_TB_COLD
 * entry (or RV_TB_INTERP if its first instruction is not compiled). */
void rv_jit_scan(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                 unsigned page_left);

/* ---- interp.c ---- */
/* The interpreter's chunk: up to `budget` steps (see interp.c). */
uint64_t rv_interp_exec_chunk(RvCpu *cpu, uint64_t budget);

#endif
