/* Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11), scalar form.  SIMD kernels implement the same rounds lane-wise.
 *
 * Counter layout used by every kernel: ctr = {block_lo, block_hi, stream_lo,
 * stream_hi}, key = {key_lo, key_hi}; block = logical index / values per block.
 */
#ifndef WI_PHILOX_H
#define WI_PHILOX_H

#include <stdint.h>

#define WI_PHILOX_M0 0xD2511F53u
#define WI_PHILOX_M1 0xCD9E8D57u
#define WI_PHILOX_W0 0x9E3779B9u /* golden ratio */
#define WI_PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

static inline void wi_philox_block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                   uint32_t k0, uint32_t k1, uint32_t out[4])
{
    for (int round = 0; round < 10; round++) {
        if (round) {
            k0 += WI_PHILOX_W0;
            k1 += WI_PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)WI_PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)WI_PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

#endif
