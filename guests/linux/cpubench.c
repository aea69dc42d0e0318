/*
 * cpubench: a deterministic CPU workload for the test guest.
 *
 * It exists to compare emulators: the same binary must print the same
 * checksum under Tessera, under QEMU and natively on the build host, and
 * the time it takes is the benchmark.  Each round does three kinds of
 * work that stress different parts of a CPU model:
 *
 *   - integer mixing: multiplies, rotates, shifts, divisions and
 *     remainders on 64-bit values (the M extension, ALU decoding);
 *   - a small sort: a heap sort of pseudo-random 32-bit keys (loads,
 *     stores, data-dependent branches), checked for order afterwards;
 *   - floating point: a small matrix product, Newton's square root
 *     checked against sqrt(), and conversions between integers and
 *     doubles (the F/D extensions, rounding, fflags-free paths).
 *
 * Everything folds into one 64-bit checksum.  Only +, -, *, / and sqrt
 * are used on doubles, all of which IEEE 754 rounds exactly, and the build
 * uses -ffp-contract=off so the compiler cannot fuse a multiply and add on
 * one machine but not on another; that is what lets the host compute the
 * expected line.
 *
 * Usage: cpubench [ROUNDS]     prints "cpubench rounds=N checksum=HEX".
 * Exit status 1 if a self-check fails (a sort out of order, a square root
 * off by more than rounding), 2 for a bad argument.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* About 2 s under QEMU 7.2 TCG on the 2-core x86 build machine (0.8 s per
 * 1000 rounds), 0.6 s natively there. */
#define DEFAULT_ROUNDS 2500

#define MIX_STEPS 20000
#define SORT_KEYS 1024
#define MATRIX_N 16
#define SQRT_VALUES 256

static int self_check_failed;

static uint64_t rotate_left(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

/* Fold one value into the checksum; the odd multiplier spreads each bit
 * of `value` over the whole word so no input is lost to cancellation. */
static uint64_t fold(uint64_t sum, uint64_t value)
{
    sum ^= value + 0x2545f4914f6cdd1dULL + (sum << 6) + (sum >> 2);
    return rotate_left(sum * 0xff51afd7ed558ccdULL, 29);
}

/* A small xorshift generator: cheap, exactly reproducible. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static uint64_t integer_phase(uint64_t seed)
{
    uint64_t a = seed | 1, b = ~seed, acc = 0;

    for (uint64_t i = 1; i <= MIX_STEPS; i++) {
        a = rotate_left(a * 0x9e3779b97f4a7c15ULL + i, (unsigned)(i % 63) + 1);
        b ^= a >> (i & 31);
        /* Divisions by values that are never zero: the divisor is odd. */
        acc += (a % ((b & 0xfffff) | 1)) ^ (b / (i | 1));
        acc = rotate_left(acc, 7) ^ (uint64_t)((int64_t)a >> 11);
        /* Signed division and remainder too, with a divisor that is never
         * 0 or -1 (so INT64_MIN / -1 cannot happen). */
        int64_t sa = (int64_t)(a ^ acc);
        int64_t sd = (int64_t)((b & 0xffff) + 2);
        if (i & 1)
            sd = -sd;
        acc += (uint64_t)(sa / sd) + (uint64_t)(sa % sd);
    }
    return fold(acc, a ^ b);
}

static void sift_down(uint32_t *keys, size_t start, size_t end)
{
    size_t root = start;

    while (2 * root + 1 < end) {
        size_t child = 2 * root + 1;
        if (child + 1 < end && keys[child] < keys[child + 1])
            child++;
        if (keys[root] >= keys[child])
            return;
        uint32_t tmp = keys[root];
        keys[root] = keys[child];
        keys[child] = tmp;
        root = child;
    }
}

static void heap_sort(uint32_t *keys, size_t n)
{
    for (size_t start = n / 2; start-- > 0;)
        sift_down(keys, start, n);
    for (size_t end = n; end-- > 1;) {
        uint32_t tmp = keys[0];
        keys[0] = keys[end];
        keys[end] = tmp;
        sift_down(keys, 0, end);
    }
}

static uint64_t sort_phase(uint64_t seed)
{
    static uint32_t keys[SORT_KEYS];
    uint64_t state = seed | 1, sum = 0;

    for (size_t i = 0; i < SORT_KEYS; i++)
        keys[i] = (uint32_t)(next_random(&state) >> 16);
    heap_sort(keys, SORT_KEYS);
    for (size_t i = 0; i < SORT_KEYS; i++) {
        if (i > 0 && keys[i - 1] > keys[i])
            self_check_failed = 1;
        sum = sum * 31 + keys[i] * (uint64_t)(i + 1);
    }
    return sum;
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static uint64_t float_phase(uint64_t seed)
{
    static double a[MATRIX_N][MATRIX_N], b[MATRIX_N][MATRIX_N];
    uint64_t state = seed | 1, sum = 0;

    /* Entries in [-1, 1) with 20 significant bits, from the generator. */
    for (int i = 0; i < MATRIX_N; i++)
        for (int j = 0; j < MATRIX_N; j++) {
            a[i][j] = (double)(int32_t)(next_random(&state) >> 32) / 2147483648.0;
            b[i][j] = (double)(int32_t)(next_random(&state) >> 32) / 2147483648.0;
        }
    for (int i = 0; i < MATRIX_N; i++)
        for (int j = 0; j < MATRIX_N; j++) {
            double dot = 0.0;
            for (int k = 0; k < MATRIX_N; k++)
                dot += a[i][k] * b[k][j];
            sum = fold(sum, bits_of(dot));
            /* A conversion back to an integer; |dot| <= 16, scaled well
             * inside int64_t's range. */
            sum += (uint64_t)(int64_t)(dot * 1e12);
        }

    /* Newton's method for the square root, compared with sqrt(): after
     * enough steps both must agree to within one unit in the last place. */
    for (int i = 0; i < SQRT_VALUES; i++) {
        double x = (double)(next_random(&state) >> 11) / 1024.0 + 1.0;
        double guess = x;
        for (int step = 0; step < 40; step++)
            guess = 0.5 * (guess + x / guess);
        double exact = sqrt(x);
        double diff = guess > exact ? guess - exact : exact - guess;
        if (diff > exact * 2.3e-16)
            self_check_failed = 1;
        sum = fold(sum, bits_of(exact));
        sum += (uint64_t)(exact * 3.0);
    }
    return sum;
}

int main(int argc, char **argv)
{
    unsigned long rounds = DEFAULT_ROUNDS;

    if (argc > 2) {
        fprintf(stderr, "usage: cpubench [ROUNDS]\n");
        return 2;
    }
    if (argc == 2) {
        char *end;
        rounds = strtoul(argv[1], &end, 10);
        if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0' ||
            rounds == 0 || rounds > 1000000) {
            fprintf(stderr, "cpubench: ROUNDS must be a number from 1 to "
                    "1000000, not '%s'\n", argv[1]);
            return 2;
        }
    }

    uint64_t checksum = 0x6a09e667f3bcc909ULL;
    for (unsigned long r = 0; r < rounds; r++) {
        uint64_t seed = fold(checksum, r);
        checksum = fold(checksum, integer_phase(seed));
        checksum = fold(checksum, sort_phase(seed ^ 0x5555));
        checksum = fold(checksum, float_phase(seed ^ 0xaaaa));
    }
    if (self_check_failed) {
        fprintf(stderr, "cpubench: self-check failed (sort order or "
                "square root)\n");
        return 1;
    }
    printf("cpubench rounds=%lu checksum=%016" PRIx64 "\n", rounds, checksum);
    return 0;
}
