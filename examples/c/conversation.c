/*
 * A conversation between Alice and Bob through the sealwire C API.
 *
 * Build (from the repository root):
 *
 *     cargo build -p sealwire-ffi
 *     gcc -std=c11 -Wall -I ffi/include examples/c/conversation.c \
 *         target/debug/libsealwire_ffi.a -lpthread -ldl -lm -o conversation
 *     ./conversation
 *
 * Bob's prekey store is post-quantum: its bundle carries an ML-KEM-768
 * prekey, so the session is set up with PQXDH, and Bob refuses classic
 * (X3DH-only) session set-ups.
 *
 * Randomness comes from the operating system (every `sw_rng *` is NULL);
 * the time is the system clock, passed in as Unix milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sealwire.h"

/* Prints the error and exits if `rc` is not SW_OK. */
static void check(sw_result rc, const char *what) {
    if (rc == SW_OK) {
        return;
    }
    /* The code's message, and what exactly was wrong (which argument). */
    fprintf(stderr, "%s: %s (code %u): %s\n", what, sw_result_message(rc), (unsigned)rc,
            sw_last_error_detail());
    exit(1);
}

static uint64_t now_ms(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A message on the wire: the buffer is sized with sw_session_encrypted_len. */
typedef struct {
    uint8_t *bytes;
    size_t len;
} wire_t;

static wire_t send_text(sw_session *from, const char *text) {
    wire_t m = {NULL, 0};
    size_t need = 0;
    check(sw_session_encrypted_len(from, strlen(text), &need), "encrypted_len");
    m.bytes = malloc(need);
    if (m.bytes == NULL) {
        exit(1);
    }
    check(sw_session_encrypt(NULL, from, now_ms(), SW_CONTENT_USER_MESSAGE,
                             (const uint8_t *)text, strlen(text), m.bytes, need, &m.len),
          "encrypt");
    return m;
}

/* Decrypts and prints; the plaintext is never longer than the message. */
static sw_result receive(sw_session *to, const char *who, const wire_t *m) {
    uint8_t *plain = malloc(m->len);
    size_t len = 0;
    sw_received_info info;
    if (plain == NULL) {
        exit(1);
    }
    sw_result rc = sw_session_decrypt(to, now_ms(), m->bytes, m->len, plain, m->len, &len, &info);
    if (rc == SW_OK) {
        printf("%s got message #%u: %.*s\n", who, info.message_number, (int)len, (const char *)plain);
    }
    free(plain);
    return rc;
}

int main(void) {
    /* The library linked is the one the header describes (same major
     * version: the soname's). */
    unsigned major = 0;
    if (sscanf(sw_version(), "%u.", &major) != 1 || major != SW_VERSION_MAJOR) {
        fprintf(stderr, "sealwire %s does not match the header (%d.%d.%d)\n", sw_version(),
                SW_VERSION_MAJOR, SW_VERSION_MINOR, SW_VERSION_PATCH);
        return 1;
    }
    printf("sealwire %s\n", sw_version());

    /* Bob: an identity, prekeys (with a last-resort post-quantum prekey),
     * and a bundle to publish. */
    sw_identity *bob_id = NULL;
    sw_prekey_store *bob_prekeys = NULL;
    uint32_t opk = 0;
    size_t n = 0;
    check(sw_identity_new(NULL, &bob_id), "identity");
    check(sw_prekey_store_new_pq(NULL, bob_id, &bob_prekeys), "prekey store");
    check(sw_prekey_store_set_require_pq(bob_prekeys, true), "require PQ");
    check(sw_prekey_store_generate_one_time_prekeys(NULL, bob_prekeys, 1, &opk, 1, &n),
          "one-time prekeys");
    uint8_t published[SW_MAX_BUNDLE_LEN];
    size_t published_len = 0;
    check(sw_prekey_store_bundle_with_one_time_prekey(bob_prekeys, bob_id, opk, published,
                                                      sizeof published, &published_len),
          "bundle");

    /* Alice fetches the bundle (parsing verifies it) and starts a session. */
    sw_identity *alice_id = NULL;
    sw_bundle *bundle = NULL;
    sw_session *alice = NULL;
    check(sw_identity_new(NULL, &alice_id), "identity");
    check(sw_bundle_parse(published, published_len, &bundle), "parse bundle");
    check(sw_session_initiate(NULL, alice_id, bundle, &alice), "initiate");
    sw_bundle_free(bundle);
    bool known = false, post_quantum = false;
    check(sw_session_is_post_quantum(alice, &known, &post_quantum), "is_post_quantum");
    printf("Alice's session uses %s\n", known && post_quantum ? "PQXDH (ML-KEM-768)" : "X3DH");
    wire_t hello = send_text(alice, "hello Bob");

    /* Bob accepts the session from Alice's first message (a prekey
     * message: with PQXDH it carries a 1088-byte ML-KEM ciphertext). */
    sw_session *bob = NULL;
    uint8_t *plain = malloc(hello.len);
    size_t plain_len = 0;
    sw_received_info info;
    if (plain == NULL) {
        exit(1);
    }
    check(sw_session_accept(bob_id, bob_prekeys, now_ms(), hello.bytes, hello.len, plain,
                            hello.len, &plain_len, &info, &bob),
          "accept");
    printf("Bob accepted a session (%zu-byte prekey message): %.*s\n", hello.len,
           (int)plain_len, (const char *)plain);
    free(plain);
    free(hello.bytes);

    /* A few messages back and forth (each reply turns the ratchet). */
    wire_t reply = send_text(bob, "hi Alice");
    check(receive(alice, "Alice", &reply), "decrypt");
    free(reply.bytes);
    wire_t m1 = send_text(alice, "the first of two");
    wire_t m2 = send_text(alice, "the second of two");
    check(receive(bob, "Bob", &m2), "decrypt"); /* out of order */
    check(receive(bob, "Bob", &m1), "decrypt");

    free(m1.bytes);
    free(m2.bytes);

    /* A tampered message is refused and changes nothing: the genuine one
     * still opens afterwards. */
    wire_t m3 = send_text(alice, "pay Bob 10 euros");
    m3.bytes[m3.len - 1] ^= 1;
    sw_result rc = receive(bob, "Bob", &m3);
    printf("tampered message refused: %s\n", sw_result_message(rc));
    m3.bytes[m3.len - 1] ^= 1;
    check(receive(bob, "Bob", &m3), "decrypt");
    free(m3.bytes);

    sw_session_free(alice);
    sw_session_free(bob);
    sw_prekey_store_free(bob_prekeys);
    sw_identity_free(alice_id);
    sw_identity_free(bob_id);
    return rc == SW_SESSION_AUTHENTICATION_FAILED ? 0 : 1;
}
