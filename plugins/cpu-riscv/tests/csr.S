/* Zicsr semantics, WARL fields, counters, illegal CSR accesses. */
#include "rv-test.h"
TEST_START
    SKIP_TRAPS
    li s10, -1
    /* csrrw returns the old value and writes the new one */
    li a0, 0x1234
    csrw mscratch, a0
    li a1, 0x5678
    csrrw a2, mscratch, a1
    CHECK(1, a2, 0x1234)
    csrr a2, mscratch
    CHECK(2, a2, 0x5678)
    /* set / clear bits, immediate forms */
    li a1, 0xf0
    csrrs a2, mscratch, a1
    CHECK(3, a2, 0x5678)
    csrr a2, mscratch
    CHECK(4, a2, 0x56f8)
    csrrc a2, mscratch, a1
    csrr a2, mscratch
    CHECK(5, a2, 0x5608)
    csrrsi a2, mscratch, 0x7
    csrrci a2, mscratch, 0x9
    csrr a2, mscratch
    CHECK(6, a2, 0x5606)
    csrrwi a2, mscratch, 31
    csrr a2, mscratch
    CHECK(7, a2, 31)
    /* reading a read-only CSR with csrrs x0 is fine; writing it traps */
    csrr a2, mhartid
    CHECK(8, a2, 0)
    CHECK(9, s10, -1)
    csrw mhartid, a0
    CHECK_MTRAP(10, 2)
    csrrs a2, mvendorid, a1       /* rs1 != x0: a write attempt */
    CHECK_MTRAP(11, 2)
    csrrsi a2, mvendorid, 0       /* uimm = 0: no write */
    CHECK(12, s10, -1)
    /* an unimplemented CSR traps, mtval holds the instruction */
    csrr a2, 0x7c0
    CHECK_MTRAP(13, 2)
    li a3, 0x7c002673             /* csrrs a2, 0x7c0, x0 */
    li gp, 14
    bne s11, a3, fail
    /* odd pmpcfg registers do not exist on RV64 */
    csrr a2, pmpcfg1
    CHECK_MTRAP(15, 2)
    /* misa: RV64 IMAFDCSU */
    csrr a2, misa
    CHECK(16, a2, 0x800000000014112d)
    /* mstatus.MPP is WARL: 2 is not a mode, the old value stays */
    li a0, 0x1800
    csrc mstatus, a0
    li a0, 0x1000
    csrs mstatus, a0
    csrr a2, mstatus
    srli a2, a2, 11
    andi a2, a2, 3
    CHECK(17, a2, 0)
    /* UXL and SXL read as 64-bit */
    csrr a2, mstatus
    srli a2, a2, 32
    andi a2, a2, 0xf
    CHECK(18, a2, 0xa)
    /* mtvec mode 2 is reserved */
    li a0, 0x80001002
    csrw mtvec, a0
    csrr a2, mtvec
    CHECK(19, a2, 0x80001000)
    SKIP_TRAPS
    /* FP CSRs trap while mstatus.FS is off */
    csrr a2, fcsr
    CHECK_MTRAP(20, 2)
    li a0, 0x2000
    csrs mstatus, a0              /* FS = initial */
    li a0, 0xff
    csrw fcsr, a0
    csrr a2, fflags
    CHECK(21, a2, 0x1f)
    csrr a2, frm
    CHECK(22, a2, 7)
    csrwi frm, 2
    csrr a2, fcsr
    CHECK(23, a2, 0x5f)
    csrr a2, mstatus              /* writing fcsr made FS dirty, so SD is set */
    srli a3, a2, 13
    andi a3, a3, 3
    CHECK(24, a3, 3)
    srli a3, a2, 63
    CHECK(25, a3, 1)
    /* instret counts retired instructions exactly */
    csrr a0, minstret
    nop
    nop
    csrr a1, minstret
    sub a2, a1, a0
    CHECK(26, a2, 3)
    /* minstret is writable */
    li a0, 1000
    csrw minstret, a0
    csrr a1, minstret
    CHECK(27, a1, 1000)
    csrr a1, instret
    CHECK(28, a1, 1004)         /* + the 3 instructions of CHECK 27 */
    /* medeleg cannot delegate ecall from M; mideleg only S interrupts */
    li a0, -1
    csrw medeleg, a0
    csrr a2, medeleg
    CHECK(29, a2, 0xb3ff)
    csrw mideleg, a0
    csrr a2, mideleg
    CHECK(30, a2, 0x222)
    csrw medeleg, zero
    csrw mideleg, zero
    /* sstatus is a view of mstatus */
    li a0, 0x40002                /* SUM | SIE */
    csrs sstatus, a0
    csrr a2, mstatus
    and a2, a2, a0
    CHECK(31, a2, 0x40002)
    csrc mstatus, a0
    /* satp: an unsupported mode leaves it unchanged */
    li a0, 0xb000000000000000
    csrw satp, a0
    csrr a2, satp
    CHECK(32, a2, 0)
    li a0, 0x8000ffff00012345     /* Sv39, ASID 0xffff */
    csrw satp, a0
    csrr a2, satp
    CHECK(33, a2, 0x8000ffff00012345)
    csrw satp, zero
    /* time comes from the platform and advances */
    csrr a0, time
    csrr a1, time
    li gp, 34
    bgeu a0, a1, fail
    /* stimecmp (Sstc) is readable in M-mode, resets to all ones */
    csrr a2, stimecmp
    CHECK(35, a2, -1)
    /* mhpmcounters read as zero */
    csrr a2, mhpmcounter3
    CHECK(36, a2, 0)
    TEST_PASS
