/*
 * Sv39/Sv48/Sv57 translation from S-mode with tables built here:
 * A/D updates in memory, permission faults with the right cause and
 * stval, SUM, MXR, Svpbmt, reserved encodings, misaligned superpages,
 * non-canonical addresses, sfence.vma, MPRV.
 */
#include "rv-test.h"
#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80
#define VA 0x40000000

/* table[index] = leaf/pointer to `target` with `flags` */
#define SET_PTE(table, index, target, flags) \
    la t0, target; srli t0, t0, 12; slli t0, t0, 10; ori t0, t0, flags; \
    la t1, table; sd t0, (index) * 8(t1)

TEST_START
    SKIP_TRAPS
    /* gigapages: 0..1G identity (test device), 2G..3G identity (code, data) */
    la t1, root
    li t0, (0 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    sd t0, 0(t1)
    li t0, (0x80000 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
    sd t0, 16(t1)
    SET_PTE(root, 1, l1, PTE_V)
    SET_PTE(l1, 0, l0, PTE_V)
    SET_PTE(l1, 1, page_a, PTE_V | PTE_R | PTE_A)      /* misaligned 2M page */
    SET_PTE(l0, 0, page_a, PTE_V | PTE_R | PTE_W)      /* A and D clear */
    SET_PTE(l0, 2, page_a, PTE_V | PTE_R | PTE_A)
    SET_PTE(l0, 3, page_a, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
    SET_PTE(l0, 4, page_a, PTE_V | PTE_X | PTE_A)
    SET_PTE(l0, 5, page_b, PTE_V | PTE_R | PTE_A)
    li t2, 1
    slli t2, t2, 61                                     /* PBMT = NC */
    ld t0, 40(t1)
    or t0, t0, t2
    sd t0, 40(t1)
    SET_PTE(l0, 6, page_a, PTE_V | PTE_W | PTE_A | PTE_D)
    la t0, root
    srli t0, t0, 12
    li t1, 8
    slli t1, t1, 60
    or t0, t0, t1
    csrw satp, t0
    ENTER(1, 1f)
1:  li s0, VA
    ld a0, 0(s0)
    CHECK(1, a0, 0x1111)
    la s1, l0
    ld a1, 0(s1)
    andi a1, a1, PTE_A | PTE_D
    CHECK(2, a1, PTE_A)
    li a0, 0x1112
    sd a0, 0(s0)
    ld a1, 0(s1)
    andi a1, a1, PTE_A | PTE_D
    CHECK(3, a1, PTE_A | PTE_D)
    /* invalid PTE: load page fault with stval */
    li s10, -1
    li a2, VA + 0x1000
    ld a0, 0(a2)
    CHECK_MTRAP(4, 13)
    li gp, 5
    bne s11, a2, fail
    /* read-only: store page fault */
    li a2, VA + 0x2008
    sd a0, 0(a2)
    CHECK_MTRAP(6, 15)
    li gp, 7
    bne s11, a2, fail
    ld a0, 0(a2)
    CHECK(8, s10, -1)
    /* U page from S: needs SUM */
    li a2, VA + 0x3000
    ld a0, 0(a2)
    CHECK_MTRAP(9, 13)
    li t0, 1 << 18
    csrs sstatus, t0
    ld a0, 0(a2)
    CHECK(10, a0, 0x1112)
    CHECK(11, s10, -1)
    csrc sstatus, t0
    ld a0, 0(a2)
    CHECK_MTRAP(12, 13)
    /* execute-only: readable only with MXR */
    li a2, VA + 0x4000
    ld a0, 0(a2)
    CHECK_MTRAP(13, 13)
    li t0, 1 << 19
    csrs sstatus, t0
    ld a0, 0(a2)
    CHECK(14, a0, 0x1112)
    csrc sstatus, t0
    /* PBMT set while menvcfg.PBMTE is clear: page fault */
    li a2, VA + 0x5000
    ld a0, 0(a2)
    CHECK_MTRAP(15, 13)
    /* W without R is reserved */
    li a2, VA + 0x6000
    sd a0, 0(a2)
    CHECK_MTRAP(16, 15)
    /* misaligned superpage */
    li a2, VA + 0x200000
    ld a0, 0(a2)
    CHECK_MTRAP(17, 13)
    /* non-canonical address */
    li a2, 0x0000004000000000
    ld a0, 0(a2)
    CHECK_MTRAP(18, 13)
    li gp, 19
    bne s11, a2, fail
    /* instruction fetch from a non-executable page */
    li a2, VA
    jalr ra, 0(a2)
    CHECK_MTRAP(20, 12)
    /* remap VA -> page_b: visible after sfence.vma */
    SET_PTE(l0, 0, page_b, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    sfence.vma s0
    ld a0, 0(s0)
    CHECK(21, a0, 0x2222)
    /* a 2 MiB superpage remapped, then sfence.vma with one address in
     * it: every 4 KiB part must see the new mapping, not only that one */
    li t2, 0x80401000
    li t0, 0x3333
    sd t0, 0(t2)
    li t2, 0x80601000
    li t0, 0x4444
    sd t0, 0(t2)
    li t0, (0x80400 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    la t1, l1
    sd t0, 16(t1)
    sfence.vma
    li s2, VA + 0x400000
    li s3, VA + 0x401000
    ld a0, 0(s2)
    ld a0, 0(s3)
    CHECK(30, a0, 0x3333)
    li t0, (0x80600 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    sd t0, 16(t1)
    sfence.vma s2
    ld a0, 0(s3)
    CHECK(31, a0, 0x4444)
    ecall                          /* back to M */
    /* M with MPRV and MPP = S translates loads */
    li t0, (1 << 17) | (1 << 11)
    csrs mstatus, t0
    ld a0, 0(s0)
    CHECK(22, a0, 0x2222)
    li t0, (1 << 17) | (3 << 11)
    csrc mstatus, t0
    ld a0, 0(s0)                   /* physical 0x40000000: nothing there */
    CHECK_MTRAP(23, 5)
    /* with PBMTE the NC page is accessible */
    li t0, 1
    slli t0, t0, 62
    csrs menvcfg, t0
    ENTER(1, 2f)
2:  li a2, VA + 0x5000
    ld a0, 0(a2)
    CHECK(24, a0, 0x2222)
    ecall
    /* Sv48: one more level on top of the same tables */
    SET_PTE(root48, 0, root, PTE_V)
    la t0, root48
    srli t0, t0, 12
    li t1, 9
    slli t1, t1, 60
    or t0, t0, t1
    csrw satp, t0
    csrr a0, satp
    li gp, 25
    bne a0, t0, fail
    ENTER(1, 3f)
3:  ld a0, 0(s0)
    CHECK(26, a0, 0x2222)
    li a2, 0x0000800000000000      /* bit 47 set, not sign-extended */
    ld a0, 0(a2)
    CHECK_MTRAP(27, 13)
    ecall
    /* Sv57 */
    SET_PTE(root57, 0, root48, PTE_V)
    la t0, root57
    srli t0, t0, 12
    li t1, 10
    slli t1, t1, 60
    or t0, t0, t1
    csrw satp, t0
    ENTER(1, 4f)
4:  ld a0, 0(s0)
    CHECK(28, a0, 0x2222)
    li a2, VA + 0x1000
    ld a0, 0(a2)
    CHECK_MTRAP(29, 13)
    ecall
    csrw satp, zero
    TEST_PASS

    .data
    .balign 4096
root:   .fill 512, 8, 0
l1:     .fill 512, 8, 0
l0:     .fill 512, 8, 0
root48: .fill 512, 8, 0
root57: .fill 512, 8, 0
page_a: .dword 0x1111
        .fill 511, 8, 0
page_b: .dword 0x2222
        .fill 511, 8, 0
