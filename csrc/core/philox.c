/* The public single Philox4x32-10 block (philox.h), for known-answer tests. */
#include "philox.h"
#include "weightinit.h"

void wi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    wi_philox_keys rk;
    wi_philox_schedule(key[0], key[1], &rk);
    wi_philox_block(ctr, &rk, out);
}
