/*
 * Test helpers for the sealwire C test suite (ffi/tests/c/). Each test
 * program exits 0 on success; a failed check prints its location, the
 * result code's message and the error detail, and exits 1.
 */
#ifndef SEALWIRE_TEST_CHECK_H
#define SEALWIRE_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealwire.h"

static unsigned long checks_run = 0;


#define CHECK(cond)                                                                  \
    do {                                                                             \
        checks_run++;                                                                \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define CHECK_RC(call, want)                                                          \
    do {                                                                              \
        checks_run++;                                                                 \
        sw_result rc_ = (call);                                                       \
        if (rc_ != (sw_result)(want)) {                                               \
            fprintf(stderr, "%s:%d: %s\n  returned %u (%s: %s), expected %s (%u)\n",  \
                    __FILE__, __LINE__, #call, (unsigned)rc_, sw_result_message(rc_),  \
                    sw_last_error_detail(), #want, (unsigned)(want));                 \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

#define OK(call) CHECK_RC(call, SW_OK)

/* The address sealed state is bound to in these tests: our identity key
 * (here the Ed25519 base point, a valid key) and device 1. */
static const sw_blob_address TEST_ADDRESS = {
    .owner = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
              0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
              0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66},
    .has_device_id = true,
    .device_id = 1,
};

/* A fixed clock for the tests: 2026-05-28, in Unix milliseconds. */
#define T0 1780000000000ULL
#define SECONDS(s) ((uint64_t)(s) * 1000ULL)

#endif
