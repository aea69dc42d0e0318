/* M extension: multiply high parts, division by zero and overflow. */
#include "rv-test.h"
TEST_START
    li a0, -1
    li a1, -1
    mulh a2, a0, a1
    CHECK(1, a2, 0)
    mulhu a2, a0, a1
    CHECK(2, a2, 0xfffffffffffffffe)
    mulhsu a2, a0, a1         /* -1 * (2^64-1) = -(2^64-1): high = -1 */
    CHECK(3, a2, 0xffffffffffffffff)
    li a0, 0x8000000000000000
    li a1, 2
    mulh a2, a0, a1
    CHECK(4, a2, 0xffffffffffffffff)
    mul a2, a0, a1
    CHECK(5, a2, 0)
    li a0, 0x7fffffff
    li a1, 2
    mulw a2, a0, a1
    CHECK(6, a2, 0xfffffffffffffffe)
    /* division by zero: quotient all ones, remainder the dividend */
    li a0, 42
    div a2, a0, zero
    CHECK(7, a2, 0xffffffffffffffff)
    divu a2, a0, zero
    CHECK(8, a2, 0xffffffffffffffff)
    rem a2, a0, zero
    CHECK(9, a2, 42)
    remu a2, a0, zero
    CHECK(10, a2, 42)
    /* overflow: INT_MIN / -1 */
    li a0, 0x8000000000000000
    li a1, -1
    div a2, a0, a1
    CHECK(11, a2, 0x8000000000000000)
    rem a2, a0, a1
    CHECK(12, a2, 0)
    /* signs of quotient and remainder (round toward zero) */
    li a0, -7
    li a1, 2
    div a2, a0, a1
    CHECK(13, a2, -3)
    rem a2, a0, a1
    CHECK(14, a2, -1)
    divu a2, a0, a1
    CHECK(15, a2, 0x7ffffffffffffffc)
    /* word forms */
    li a0, 0x80000000
    li a1, -1
    divw a2, a0, a1
    CHECK(16, a2, 0xffffffff80000000)
    remw a2, a0, a1
    CHECK(17, a2, 0)
    divw a2, a0, zero
    CHECK(18, a2, 0xffffffffffffffff)
    li a0, 0x123456789
    remuw a2, a0, zero        /* remainder = sext(low word of dividend) */
    CHECK(19, a2, 0x23456789)
    li a0, 0xfffffffff0000000
    remuw a2, a0, zero
    CHECK(20, a2, 0xfffffffff0000000)
    li a0, 0xffffffff
    li a1, 2
    divuw a2, a0, a1
    CHECK(21, a2, 0x7fffffff)
    divuw a2, a0, zero
    CHECK(22, a2, 0xffffffffffffffff)
    li a0, -8
    li a1, 3
    remw a2, a0, a1
    CHECK(23, a2, -2)
    /* a quotient and a remainder of the same operands, in both orders
     * (the JIT does each pair with one host division); the CSR write
     * starts a new block, so the operands are not constants to it */
#define PAIR(n, first, second, x, y, q, r) \
    li a0, x; li a1, y; csrw mscratch, zero; \
    first a2, a0, a1; second a3, a0, a1; \
    CHECK(n, a2, q); CHECK(n + 100, a3, r)
    PAIR(24, div, rem, -7, 2, -3, -1)
    PAIR(25, rem, div, -7, 2, -1, -3)
    PAIR(26, divu, remu, 100, 7, 14, 2)
    PAIR(27, remu, divu, 100, 7, 2, 14)
    PAIR(28, div, rem, 0x8000000000000000, -1, 0x8000000000000000, 0)
    PAIR(29, rem, div, 5, 0, 5, -1)
    PAIR(30, divu, remu, 5, 0, -1, 5)
    PAIR(31, divw, remw, 0x80000000, -1, 0xffffffff80000000, 0)
    PAIR(32, remuw, divuw, 0xfffffff7, 2, 1, 0x7ffffffb)
    PAIR(33, divw, remw, -9, 0, -1, -9)
    /* divisors the JIT knows are not 0 (x | c): no zero test */
    li a0, -7; li a1, 0; csrw mscratch, zero
    ori a1, a1, 2
    rem a2, a0, a1
    CHECK(34, a2, -1)
    li a0, 100; li a1, -1; csrw mscratch, zero
    ori a1, a1, 1
    div a2, a0, a1
    CHECK(35, a2, -100)
    li a0, 0x0000000500000007; li a1, 0x100000000; csrw mscratch, zero
    ori a1, a1, 3
    divuw a2, a0, a1
    CHECK(36, a2, 2)
    TEST_PASS
