/* Raw Philox4x32-10 output of weightinit's core, for dieharder (-g 200 reads
 * raw 32-bit words from stdin).  Built and run by tests/test_quality.py and
 * tests/dieharder/run.py; uses the core's own csrc/core/philox.h.
 *
 *   philox_stream [KEY] [STREAM] [ORDER] [MAX_BYTES]
 *
 * KEY, STREAM: the fill's 64-bit key and stream (as weightinit.Generator(KEY)
 * gives to its fill number STREAM).  ORDER:
 *   fill     the words in the order a float32 fill consumes them, element by
 *            element: per group of 8 blocks, r0 r1 of blocks 0..7, then r2 r3
 *            (csrc/core/kernels.h), so word i decides element i
 *   counter  r0 r1 r2 r3 of block 0, 1, 2, ...
 *   nophilox the counter words themselves (XOR the key): the negative control,
 *            a "generator" with no rounds, which dieharder must reject
 * MAX_BYTES: stop after this many bytes (default: never; dieharder closes the
 * pipe when it is done).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"

#define GROUPS 256 /* groups per write */

int main(int argc, char **argv)
{
    uint64_t key = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5EEDULL;
    uint64_t stream = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
    const char *order = argc > 3 ? argv[3] : "fill";
    uint64_t max_bytes = argc > 4 ? strtoull(argv[4], NULL, 0) : 0;
    int mode = strcmp(order, "fill") == 0 ? 0 : strcmp(order, "counter") == 0 ? 1
             : strcmp(order, "nophilox") == 0 ? 2 : -1;
    static uint32_t buf[GROUPS * 32];
    uint64_t written = 0;

    if (mode < 0) {
        fprintf(stderr, "philox_stream: ORDER must be fill, counter or nophilox\n");
        return 2;
    }
    signal(SIGPIPE, SIG_DFL);
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    uint32_t s0 = (uint32_t)stream, s1 = (uint32_t)(stream >> 32);
    wi_philox_keys rk;
    wi_philox_schedule(k0, k1, &rk);
    for (uint64_t g = 0;; g += GROUPS) {
        for (unsigned k = 0; k < GROUPS; k++) {
            uint32_t *w = buf + 32 * k;
            for (unsigned j = 0; j < 8; j++) {
                uint64_t block = 8 * (g + k) + j;
                uint32_t r[4];
                if (mode == 2) {
                    r[0] = (uint32_t)block ^ k0;
                    r[1] = (uint32_t)(block >> 32) ^ k1;
                    r[2] = s0;
                    r[3] = s1;
                } else {
                    uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), s0, s1};
                    wi_philox_block(ctr, &rk, r);
                }
                if (mode == 0) {
                    w[2 * j] = r[0];
                    w[2 * j + 1] = r[1];
                    w[16 + 2 * j] = r[2];
                    w[16 + 2 * j + 1] = r[3];
                } else {
                    memcpy(w + 4 * j, r, sizeof r);
                }
            }
        }
        size_t n = sizeof buf;
        if (max_bytes && max_bytes - written < n)
            n = (size_t)(max_bytes - written);
        if (fwrite(buf, 1, n, stdout) != n)
            return errno == EPIPE ? 0 : 1;
        written += n;
        if (max_bytes && written >= max_bytes)
            break;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
