/*
 * The C API end to end, built with AddressSanitizer, UndefinedBehaviorSanitizer
 * and LeakSanitizer by ffi/ci.sh:
 *
 * - a full conversation: bundle published and verified, prekey messages
 *   accepted out of order, the first reply, ratchet turns with out-of-order
 *   delivery in both directions;
 * - tampered, replayed, truncated and foreign messages refused, the session
 *   unchanged (its saved state byte for byte);
 * - too-short output buffers and size queries, changing nothing;
 * - disappearing messages: a timer change, deadlines, the expiry queue, a
 *   message that arrives expired;
 * - every handle's state saved and restored (plain and sealed) and the
 *   conversation carried on; damaged, foreign and wrongly keyed blobs;
 * - safety numbers; handles of the wrong type; overlapping buffers;
 * - post-quantum (PQXDH, ML-KEM-768): a PQ prekey store, bundles with a
 *   one-time or last-resort PQ prekey, a conversation with out-of-order
 *   delivery, a one-time PQ prekey used once, a replay against the
 *   last-resort PQ prekey refused, the require-PQ policy refusing a classic
 *   prekey message, PQ state saved and restored;
 * - message franking: franked and unfranked messages, the evidence from
 *   accept and decrypt, the relay's stamp, reports verified, an altered
 *   body (BAD_COMMITMENT) and another relay's key (BAD_STAMP) refused, an
 *   attachment sent, opened and reported;
 * - every handle freed (LeakSanitizer checks at exit).
 */
#include "check.h"

typedef struct {
    uint8_t b[4096];
    size_t len;
} msg_t;

static const uint8_t STORAGE_KEY[32] = {
    1, 2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static sw_rng *seeded(uint8_t tag) {
    uint8_t seed[SW_SEED_LEN];
    memset(seed, tag, sizeof seed);
    sw_rng *rng = NULL;
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &rng));
    CHECK(rng != NULL);
    return rng;
}

static void encrypt(sw_session *s, sw_rng *rng, uint64_t now, const char *text, msg_t *out) {
    size_t need = 0;
    OK(sw_session_encrypted_len(s, strlen(text), &need));
    CHECK(need > strlen(text) && need <= sizeof out->b);
    OK(sw_session_encrypt(rng, s, now, SW_CONTENT_USER_MESSAGE, (const uint8_t *)text,
                          strlen(text), out->b, sizeof out->b, &out->len));
    CHECK(out->len == need);
}

static void expect_text(sw_session *s, uint64_t now, const msg_t *m, const char *text,
                        uint32_t number) {
    uint8_t plain[4096];
    size_t n = 12345;
    sw_received_info info;
    OK(sw_session_decrypt(s, now, m->b, m->len, plain, sizeof plain, &n, &info));
    CHECK(n == strlen(text));
    CHECK(memcmp(plain, text, n) == 0);
    CHECK(info.content_type == SW_CONTENT_USER_MESSAGE);
    CHECK(info.message_number == number);
    CHECK(info.expiry == SW_MESSAGE_EXPIRY_NEVER);
    CHECK(!info.timer_changed);
}

/* The session's plain state blob (malloc'd), through a size query. */
static uint8_t *session_blob(const sw_session *s, size_t *len) {
    size_t need = 0;
    CHECK_RC(sw_session_save(s, NULL, 0, &need), SW_BUFFER_TOO_SMALL);
    CHECK(need > 0);
    uint8_t *b = malloc(need);
    CHECK(b != NULL);
    OK(sw_session_save(s, b, need, len));
    CHECK(*len == need);
    return b;
}

/* Asserts that `s` is byte for byte the state saved in (blob, len). */
static void expect_unchanged(const sw_session *s, const uint8_t *blob, size_t len) {
    size_t now_len = 0;
    uint8_t *now = session_blob(s, &now_len);
    CHECK(now_len == len && memcmp(now, blob, len) == 0);
    free(now);
}

typedef struct {
    sw_rng *rng;
    sw_identity *id;
    sw_prekey_store *prekeys; /* Bob only */
    sw_session *session;
} party_t;

static void test_conversation(party_t *alice, party_t *bob) {
    uint64_t now = T0;

    /* Bob publishes a bundle with a one-time prekey. */
    uint32_t opks[8];
    size_t n_opks = 0;
    OK(sw_prekey_store_new(bob->rng, bob->id, &bob->prekeys));
    OK(sw_prekey_store_generate_one_time_prekeys(bob->rng, bob->prekeys, 5, opks, 8, &n_opks));
    CHECK(n_opks == 5);
    size_t count = 0;
    OK(sw_prekey_store_one_time_prekey_count(bob->prekeys, &count));
    CHECK(count == 5);
    uint8_t published[SW_MAX_BUNDLE_LEN];
    size_t published_len = 0;
    CHECK_RC(sw_prekey_store_bundle_with_one_time_prekey(bob->prekeys, bob->id, opks[0], NULL, 0,
                                                         &published_len),
             SW_BUFFER_TOO_SMALL);
    CHECK(published_len == 171); /* a classic bundle with a one-time prekey */
    OK(sw_prekey_store_bundle_with_one_time_prekey(bob->prekeys, bob->id, opks[0], published,
                                                   sizeof published, &published_len));
    CHECK_RC(sw_prekey_store_bundle_with_one_time_prekey(bob->prekeys, bob->id, 999999, published,
                                                         sizeof published, &published_len),
             SW_PREKEY_NOT_FOUND);
    OK(sw_prekey_store_bundle_with_one_time_prekey(bob->prekeys, bob->id, opks[0], published,
                                                   sizeof published, &published_len));

    /* Alice fetches and verifies it. */
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(published, published_len, &bundle));
    uint8_t bob_key[SW_IDENTITY_KEY_LEN], key[SW_IDENTITY_KEY_LEN];
    size_t key_len = 0;
    OK(sw_identity_public_key(bob->id, bob_key, sizeof bob_key, &key_len));
    CHECK(key_len == SW_IDENTITY_KEY_LEN);
    OK(sw_bundle_identity_key(bundle, key, sizeof key, &key_len));
    CHECK(memcmp(key, bob_key, sizeof key) == 0);
    uint32_t spk = 0, opk = 0;
    bool has_opk = false;
    OK(sw_bundle_signed_prekey_id(bundle, &spk));
    CHECK(spk == 1);
    OK(sw_bundle_one_time_prekey_id(bundle, &has_opk, &opk));
    CHECK(has_opk && opk == opks[0]);
    uint8_t reencoded[SW_MAX_BUNDLE_LEN];
    size_t reencoded_len = 0;
    OK(sw_bundle_encode(bundle, reencoded, sizeof reencoded, &reencoded_len));
    CHECK(reencoded_len == published_len && memcmp(reencoded, published, published_len) == 0);

    /* A bundle with a flipped signature bit is refused. */
    uint8_t forged_bundle[SW_MAX_BUNDLE_LEN];
    memcpy(forged_bundle, published, published_len);
    forged_bundle[2 + 32 + 4 + 32 + 10] ^= 1;
    sw_bundle *bad = (sw_bundle *)&forged_bundle; /* overwritten with NULL */
    CHECK_RC(sw_bundle_parse(forged_bundle, published_len, &bad), SW_BUNDLE_INVALID_SIGNATURE);
    CHECK(bad == NULL);
    CHECK_RC(sw_bundle_parse(published, published_len - 1, &bad), SW_DECODE_TRUNCATED);

    /* Alice starts a session (pending) and sends three prekey messages. */
    OK(sw_session_initiate(alice->rng, alice->id, bundle, &alice->session));
    sw_bundle_free(bundle);
    bool established = true;
    OK(sw_session_is_established(alice->session, &established));
    CHECK(!established);
    msg_t m0, m1, m2;
    encrypt(alice->session, alice->rng, now, "hello Bob", &m0);
    encrypt(alice->session, alice->rng, now, "are you there?", &m1);
    encrypt(alice->session, NULL, now, "third", &m2); /* OS randomness */

    /* Bob accepts from the last one; the one-time prekey is used up. */
    uint8_t plain[4096];
    size_t plain_len = 0;
    sw_received_info info;
    CHECK_RC(sw_session_accept(bob->id, bob->prekeys, now, m2.b, m2.len, plain, m2.len - 1,
                               &plain_len, &info, &bob->session),
             SW_BUFFER_TOO_SMALL);
    CHECK(plain_len == m2.len && bob->session == NULL);
    OK(sw_prekey_store_one_time_prekey_count(bob->prekeys, &count));
    CHECK(count == 5); /* nothing happened */
    OK(sw_session_accept(bob->id, bob->prekeys, now, m2.b, m2.len, plain, sizeof plain, &plain_len,
                         &info, &bob->session));
    CHECK(plain_len == 5 && memcmp(plain, "third", 5) == 0);
    CHECK(info.message_number == 2);
    CHECK(info.sent_at_ms == now);
    uint8_t alice_key[SW_IDENTITY_KEY_LEN];
    OK(sw_identity_public_key(alice->id, alice_key, sizeof alice_key, &key_len));
    CHECK(memcmp(info.sender, alice_key, sizeof alice_key) == 0);
    OK(sw_session_their_identity(bob->session, key, sizeof key, &key_len));
    CHECK(memcmp(key, alice_key, sizeof key) == 0);
    OK(sw_session_their_identity(alice->session, key, sizeof key, &key_len));
    CHECK(memcmp(key, bob_key, sizeof key) == 0);
    OK(sw_prekey_store_one_time_prekey_count(bob->prekeys, &count));
    CHECK(count == 4);
    uint32_t held[8];
    size_t n_held = 0;
    CHECK_RC(sw_prekey_store_one_time_prekey_ids(bob->prekeys, held, 2, &n_held),
             SW_BUFFER_TOO_SMALL);
    CHECK(n_held == 4);
    OK(sw_prekey_store_one_time_prekey_ids(bob->prekeys, held, 8, &n_held));
    CHECK(n_held == 4 && held[0] == opks[1]);

    /* The same prekey message cannot start a second session. */
    sw_session *again = NULL;
    CHECK_RC(sw_session_accept(bob->id, bob->prekeys, now, m2.b, m2.len, plain, sizeof plain,
                               &plain_len, &info, &again),
             SW_SESSION_UNKNOWN_ONE_TIME_PREKEY);
    CHECK(again == NULL);
    /* A prekey message is not a bundle, nor a bundle a message: messages
     * are version 0x02, bundles 0x01 (SPEC.md §14 rule 1). */
    CHECK_RC(sw_bundle_parse(m0.b, 50, &bad), SW_DECODE_UNSUPPORTED_VERSION);

    /* The earlier prekey messages, out of order. */
    expect_text(bob->session, now, &m0, "hello Bob", 0);
    expect_text(bob->session, now, &m1, "are you there?", 1);
    CHECK_RC(sw_session_decrypt(bob->session, now, m1.b, m1.len, plain, sizeof plain, &plain_len,
                                &info),
             SW_SESSION_DUPLICATE_MESSAGE);

    /* Bob's reply establishes Alice's session. */
    now += SECONDS(5);
    msg_t r0;
    encrypt(bob->session, bob->rng, now, "hi Alice", &r0);
    expect_text(alice->session, now, &r0, "hi Alice", 0);
    OK(sw_session_is_established(alice->session, &established));
    CHECK(established);

    /* A ratchet turn: Alice's new chain, delivered 2, 0, 1. */
    now += SECONDS(5);
    msg_t a0, a1, a2;
    encrypt(alice->session, alice->rng, now, "one", &a0);
    encrypt(alice->session, alice->rng, now, "two", &a1);
    encrypt(alice->session, alice->rng, now, "three", &a2);
    expect_text(bob->session, now, &a2, "three", 2);
    size_t skipped = 0;
    OK(sw_session_skipped_key_count(bob->session, &skipped));
    CHECK(skipped == 2);
    bool due = false;
    uint64_t erase_at = 0;
    OK(sw_session_next_key_erasure(bob->session, &due, &erase_at));
    CHECK(due && erase_at > now);
    expect_text(bob->session, now, &a0, "one", 0);
    expect_text(bob->session, now, &a1, "two", 1);
    OK(sw_session_skipped_key_count(bob->session, &skipped));
    CHECK(skipped == 0);

    /* And back: Bob's new chain, delivered 1, 0. */
    msg_t b0, b1;
    encrypt(bob->session, bob->rng, now, "four", &b0);
    encrypt(bob->session, bob->rng, now, "five", &b1);
    expect_text(alice->session, now, &b1, "five", 1);
    expect_text(alice->session, now, &b0, "four", 0);

    /* A receipt. */
    msg_t rc;
    OK(sw_session_encrypt(bob->rng, bob->session, now, SW_CONTENT_RECEIPT,
                          (const uint8_t *)"read:5", 6, rc.b, sizeof rc.b, &rc.len));
    OK(sw_session_decrypt(alice->session, now, rc.b, rc.len, plain, sizeof plain, &plain_len,
                          &info));
    CHECK(info.content_type == SW_CONTENT_RECEIPT && plain_len == 6);
    /* Timer changes are made by sw_session_set_timer only. */
    CHECK_RC(sw_session_encrypt(bob->rng, bob->session, now, SW_CONTENT_TIMER_CHANGE, NULL, 0,
                                rc.b, sizeof rc.b, &rc.len),
             SW_INVALID_ARGUMENT);
    CHECK_RC(sw_session_encrypt(bob->rng, bob->session, now, 77, NULL, 0, rc.b, sizeof rc.b,
                                &rc.len),
             SW_INVALID_ARGUMENT);
}

static void test_bad_messages(party_t *alice, party_t *bob) {
    uint64_t now = T0 + SECONDS(20);
    uint8_t plain[4096];
    size_t plain_len = 0;
    sw_received_info info;
    msg_t good;
    encrypt(alice->session, alice->rng, now, "pay 10", &good);

    size_t before_len = 0;
    uint8_t *before = session_blob(bob->session, &before_len);

    /* Every single-bit flip of the last byte, the header, the body. */
    size_t positions[] = {good.len - 1, good.len / 2, 3, 40};
    int auth_failures = 0;
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        msg_t forged = good;
        forged.b[positions[i]] ^= 0x01;
        sw_result rc = sw_session_decrypt(bob->session, now, forged.b, forged.len, plain,
                                          sizeof plain, &plain_len, &info);
        CHECK(rc != SW_OK);
        CHECK(plain_len == 0);
        if (rc == SW_SESSION_AUTHENTICATION_FAILED) {
            /* No oracle: whatever was forged (tag, header, body), the
             * detail is the code's one fixed text. */
            auth_failures++;
            CHECK(strcmp(sw_last_error_detail(), "message authentication failed") == 0);
        }
        for (size_t j = 0; j < forged.len; j++) {
            CHECK(plain[j] == 0); /* no plaintext left behind */
        }
        expect_unchanged(bob->session, before, before_len);
    }
    CHECK(auth_failures >= 2);
    msg_t forged = good;
    forged.b[forged.len - 1] ^= 0x80;
    CHECK_RC(sw_session_decrypt(bob->session, now, forged.b, forged.len, plain, sizeof plain,
                                &plain_len, &info),
             SW_SESSION_AUTHENTICATION_FAILED);
    CHECK(strcmp(sw_last_error_detail(), "message authentication failed") == 0);

    /* Truncated, empty, garbage. */
    CHECK_RC(sw_session_decrypt(bob->session, now, good.b, 10, plain, sizeof plain, &plain_len,
                                &info),
             SW_DECODE_TRUNCATED);
    CHECK_RC(sw_session_decrypt(bob->session, now, NULL, 0, plain, sizeof plain, &plain_len, &info),
             SW_DECODE_TRUNCATED);
    uint8_t garbage[64];
    memset(garbage, 0xA5, sizeof garbage);
    CHECK(sw_session_decrypt(bob->session, now, garbage, sizeof garbage, plain, sizeof plain,
                             &plain_len, &info) != SW_OK);
    expect_unchanged(bob->session, before, before_len);

    /* Too-short plaintext buffer: a size query, nothing changes. */
    CHECK_RC(sw_session_decrypt(bob->session, now, good.b, good.len, NULL, 0, &plain_len, &info),
             SW_BUFFER_TOO_SMALL);
    CHECK(plain_len == good.len);
    CHECK_RC(sw_session_decrypt(bob->session, now, good.b, good.len, plain, good.len - 1,
                                &plain_len, &info),
             SW_BUFFER_TOO_SMALL);
    CHECK(plain_len == good.len);
    expect_unchanged(bob->session, before, before_len);

    /* Overlapping message and plaintext buffers are refused. */
    msg_t copy = good;
    CHECK_RC(sw_session_decrypt(bob->session, now, copy.b, copy.len, copy.b + 8, copy.len,
                                &plain_len, &info),
             SW_INVALID_ARGUMENT);
    expect_unchanged(bob->session, before, before_len);
    free(before);

    /* The genuine message still opens, exactly once. */
    expect_text(bob->session, now, &good, "pay 10", 0);
    CHECK_RC(sw_session_decrypt(bob->session, now, good.b, good.len, plain, sizeof plain,
                                &plain_len, &info),
             SW_SESSION_DUPLICATE_MESSAGE);

    /* Too-short output buffers when sending: nothing changes. */
    size_t need = 0, len = 0;
    uint8_t out[4096];
    OK(sw_session_encrypted_len(alice->session, 100, &need));
    uint8_t body[100];
    memset(body, 'x', sizeof body);
    before = session_blob(alice->session, &before_len);
    CHECK_RC(sw_session_encrypt(alice->rng, alice->session, now, SW_CONTENT_USER_MESSAGE, body,
                                sizeof body, NULL, 0, &len),
             SW_BUFFER_TOO_SMALL);
    CHECK(len == need);
    CHECK_RC(sw_session_encrypt(alice->rng, alice->session, now, SW_CONTENT_USER_MESSAGE, body,
                                sizeof body, out, need - 1, &len),
             SW_BUFFER_TOO_SMALL);
    CHECK(len == need);
    CHECK_RC(sw_session_encrypt(alice->rng, alice->session, now, SW_CONTENT_USER_MESSAGE, out,
                                sizeof body, out + 50, need, &len),
             SW_INVALID_ARGUMENT);
    expect_unchanged(alice->session, before, before_len);
    free(before);
    msg_t next;
    OK(sw_session_encrypt(alice->rng, alice->session, now, SW_CONTENT_USER_MESSAGE, body,
                          sizeof body, next.b, need, &next.len));
    OK(sw_session_decrypt(bob->session, now, next.b, next.len, plain, sizeof plain, &plain_len,
                          &info));
    CHECK(plain_len == 100 && info.message_number == 1); /* no number was skipped */

    /* Other short buffers. */
    uint8_t small[8];
    CHECK_RC(sw_identity_public_key(alice->id, small, sizeof small, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == SW_IDENTITY_KEY_LEN);
    CHECK(strcmp(sw_last_error_detail(), "the output buffer holds 8 bytes; 32 are needed") == 0);
    CHECK(strcmp(sw_result_message(SW_SESSION_AUTHENTICATION_FAILED),
                 "message authentication failed") == 0);
    CHECK(strcmp(sw_result_message(9999), "unknown result code") == 0);
    /* Reading the message and the version leaves the detail alone. */
    CHECK(strcmp(sw_version(), "0.1.0") == 0 || strlen(sw_version()) >= 5);
    CHECK(strcmp(sw_last_error_detail(), "the output buffer holds 8 bytes; 32 are needed") == 0);
    /* A wrong key length names the parameter and the length expected. */
    sw_identity *tmp = NULL;
    CHECK_RC(sw_identity_from_seed(small, 31, &tmp), SW_INVALID_ARGUMENT);
    CHECK(strcmp(sw_last_error_detail(), "seed_len is 31: seed is 32 bytes") == 0);
    CHECK(tmp == NULL);
    /* A success empties it. */
    bool established = false;
    OK(sw_session_is_established(alice->session, &established));
    CHECK(strcmp(sw_last_error_detail(), "") == 0);
}

static void test_wrong_handles(party_t *alice, party_t *bob) {
    /* A handle of another type is refused, not misread. */
    size_t len = 0;
    uint8_t key[SW_IDENTITY_KEY_LEN];
    bool flag = false;
    CHECK_RC(sw_session_their_identity((const sw_session *)alice->id, key, sizeof key, &len),
             SW_INVALID_HANDLE);
    CHECK_RC(sw_identity_public_key((const sw_identity *)bob->prekeys, key, sizeof key, &len),
             SW_INVALID_HANDLE);
    CHECK_RC(sw_session_is_established((const sw_session *)alice->rng, &flag), SW_INVALID_HANDLE);
    /* Misaligned. */
    CHECK_RC(sw_session_is_established((const sw_session *)((uint8_t *)alice->session + 1), &flag),
             SW_INVALID_HANDLE);
    /* A wrong-type free is ignored (the identity stays usable). */
    sw_session_free((sw_session *)alice->id);
    OK(sw_identity_public_key(alice->id, key, sizeof key, &len));
    /* Bad seed and key lengths. */
    uint8_t seed[33] = {0};
    sw_identity *id = NULL;
    CHECK_RC(sw_identity_from_seed(seed, 31, &id), SW_INVALID_ARGUMENT);
    CHECK_RC(sw_identity_from_seed(seed, 33, &id), SW_INVALID_ARGUMENT);
    CHECK(id == NULL);
    sw_rng *rng = NULL;
    CHECK_RC(sw_rng_danger_new_seeded(seed, 16, &rng), SW_INVALID_ARGUMENT);
    /* A length no buffer can have. */
    sw_bundle *bundle = NULL;
    CHECK_RC(sw_bundle_parse(seed, (size_t)-1, &bundle), SW_INVALID_ARGUMENT);
    CHECK(bundle == NULL && rng == NULL);
    /* Misaligned output pointer. */
    _Alignas(8) uint8_t raw[16];
    CHECK_RC(sw_session_encrypted_len(alice->session, 10, (size_t *)(raw + 1)),
             SW_INVALID_ARGUMENT);

    /* The identity from a seed is deterministic; its seed comes back. */
    memset(seed, 9, 32);
    OK(sw_identity_from_seed(seed, 32, &id));
    uint8_t back[32];
    OK(sw_identity_danger_export_seed(id, back, sizeof back, &len));
    CHECK(len == 32 && memcmp(back, seed, 32) == 0);
    sw_identity_free(id);
}

static void test_disappearing(party_t *alice, party_t *bob, sw_expiry_queue *queue) {
    uint64_t now = T0 + SECONDS(100);
    uint8_t plain[4096];
    size_t plain_len = 0, len = 0;
    sw_received_info info;
    msg_t change;

    /* Alice: messages disappear 60 s after they are sent. */
    CHECK_RC(sw_session_set_timer(alice->rng, alice->session, now, SW_EXPIRY_AFTER_SEND, 0,
                                  change.b, sizeof change.b, &change.len),
             SW_EXPIRY_INVALID_POLICY);
    CHECK_RC(sw_session_set_timer(alice->rng, alice->session, now, SW_EXPIRY_OFF, 5, change.b,
                                  sizeof change.b, &change.len),
             SW_EXPIRY_INVALID_POLICY);
    CHECK_RC(sw_session_set_timer(alice->rng, alice->session, now, 9, 60, change.b,
                                  sizeof change.b, &change.len),
             SW_INVALID_ARGUMENT);
    CHECK_RC(sw_session_set_timer(alice->rng, alice->session, now, SW_EXPIRY_AFTER_SEND, 60, NULL,
                                  0, &len),
             SW_BUFFER_TOO_SMALL);
    CHECK(len > 0);
    sw_timer timer;
    OK(sw_session_timer(alice->session, &timer));
    CHECK(timer.mode == SW_EXPIRY_OFF && timer.version == 0); /* unchanged */
    OK(sw_session_set_timer(alice->rng, alice->session, now, SW_EXPIRY_AFTER_SEND, 60, change.b,
                            sizeof change.b, &change.len));
    CHECK(change.len == len);
    OK(sw_session_timer(alice->session, &timer));
    CHECK(timer.mode == SW_EXPIRY_AFTER_SEND && timer.ttl_secs == 60 && timer.version == 1);

    OK(sw_session_decrypt(bob->session, now, change.b, change.len, plain, sizeof plain,
                          &plain_len, &info));
    CHECK(plain_len == 0);
    CHECK(info.content_type == SW_CONTENT_TIMER_CHANGE);
    CHECK(info.timer_changed && info.timer_changed_by == SW_CHANGED_BY_PEER);
    CHECK(info.timer_old.mode == SW_EXPIRY_OFF);
    CHECK(info.timer_new.mode == SW_EXPIRY_AFTER_SEND && info.timer_new.ttl_secs == 60 &&
          info.timer_new.version == 1);
    OK(sw_session_timer(bob->session, &timer));
    CHECK(timer.mode == SW_EXPIRY_AFTER_SEND && timer.ttl_secs == 60);

    msg_t secret, delayed;
    encrypt(alice->session, alice->rng, now, "the door code is 4711", &secret);
    encrypt(alice->session, alice->rng, now, "stuck in the network", &delayed);

    /* Bob receives it one second later and queues its deadline. */
    OK(sw_session_decrypt(bob->session, now + SECONDS(1), secret.b, secret.len, plain,
                          sizeof plain, &plain_len, &info));
    CHECK(plain_len == strlen("the door code is 4711"));
    CHECK(info.expiry == SW_MESSAGE_EXPIRY_AT && info.expiry_ms == now + SECONDS(60));
    uint8_t id1[SW_MESSAGE_ID_LEN] = {0}, id2[SW_MESSAGE_ID_LEN] = {0},
            id3[SW_MESSAGE_ID_LEN] = {0}, id4[SW_MESSAGE_ID_LEN] = {0};
    id1[15] = 1;
    id2[15] = 2;
    id3[15] = 3;
    id4[15] = 4;
    OK(sw_expiry_queue_insert_at(queue, id1, sizeof id1, info.expiry_ms));
    CHECK_RC(sw_expiry_queue_insert_at(queue, id1, sizeof id1, info.expiry_ms),
             SW_EXPIRY_DUPLICATE_ID);
    CHECK_RC(sw_expiry_queue_insert_at(queue, id1, 15, info.expiry_ms), SW_INVALID_ARGUMENT);
    bool present = false;
    uint64_t deadline = 0;
    OK(sw_expiry_queue_next_deadline(queue, &present, &deadline));
    CHECK(present && deadline == now + SECONDS(60));

    uint8_t ids[4 * SW_MESSAGE_ID_LEN];
    size_t n = 99;
    OK(sw_expiry_queue_pop_expired(queue, now + SECONDS(59), ids, sizeof ids, &n));
    CHECK(n == 0);
    OK(sw_expiry_queue_pop_expired(queue, now + SECONDS(60), ids, sizeof ids, &n));
    CHECK(n == 1 && memcmp(ids, id1, 16) == 0);
    OK(sw_expiry_queue_len(queue, &len));
    CHECK(len == 0);

    /* A message that arrives after its deadline comes back empty. */
    OK(sw_session_decrypt(bob->session, now + SECONDS(61), delayed.b, delayed.len, plain,
                          sizeof plain, &plain_len, &info));
    CHECK(plain_len == 0 && info.expiry == SW_MESSAGE_EXPIRY_EXPIRED);
    for (size_t i = 0; i < delayed.len; i++) {
        CHECK(plain[i] == 0);
    }

    /* After-read: Bob switches to 30 s after reading. */
    msg_t change2;
    now += SECONDS(100);
    OK(sw_session_set_timer(bob->rng, bob->session, now, SW_EXPIRY_AFTER_READ, 30, change2.b,
                            sizeof change2.b, &change2.len));
    OK(sw_session_decrypt(alice->session, now, change2.b, change2.len, plain, sizeof plain,
                          &plain_len, &info));
    CHECK(info.timer_changed && info.timer_new.mode == SW_EXPIRY_AFTER_READ &&
          info.timer_new.version == 2);
    msg_t note;
    encrypt(bob->session, bob->rng, now, "read me", &note);
    OK(sw_session_decrypt(alice->session, now, note.b, note.len, plain, sizeof plain, &plain_len,
                          &info));
    CHECK(info.expiry == SW_MESSAGE_EXPIRY_AFTER_READ && info.expiry_ms == SECONDS(30));
    OK(sw_expiry_queue_insert_after_read(queue, id2, sizeof id2, info.expiry_ms));
    sw_message_expiry kind = SW_MESSAGE_EXPIRY_NEVER;
    uint64_t value = 0;
    OK(sw_expiry_queue_get(queue, id2, sizeof id2, &kind, &value));
    CHECK(kind == SW_MESSAGE_EXPIRY_AFTER_READ && value == SECONDS(30));
    OK(sw_expiry_queue_next_deadline(queue, &present, &deadline));
    CHECK(!present); /* not read yet: no deadline runs */
    OK(sw_expiry_queue_mark_read(queue, id2, sizeof id2, now + SECONDS(5), &deadline));
    CHECK(deadline == now + SECONDS(35));
    OK(sw_expiry_queue_get(queue, id2, sizeof id2, &kind, &value));
    CHECK(kind == SW_MESSAGE_EXPIRY_AT && value == now + SECONDS(35));
    CHECK_RC(sw_expiry_queue_mark_read(queue, id1, sizeof id1, now, &deadline),
             SW_EXPIRY_NOT_FOUND);
    CHECK_RC(sw_expiry_queue_get(queue, id1, sizeof id1, &kind, &value), SW_EXPIRY_NOT_FOUND);

    /* Three at one deadline, popped two at a time. */
    OK(sw_expiry_queue_insert_at(queue, id3, sizeof id3, now + SECONDS(35)));
    OK(sw_expiry_queue_insert_at(queue, id4, sizeof id4, now + SECONDS(35)));
    OK(sw_expiry_queue_insert_at(queue, id1, sizeof id1, now + SECONDS(36)));
    OK(sw_expiry_queue_pop_expired(queue, now + SECONDS(40), ids, 2 * SW_MESSAGE_ID_LEN, &n));
    CHECK(n == 2 && memcmp(ids, id2, 16) == 0 && memcmp(ids + 16, id3, 16) == 0);
    OK(sw_expiry_queue_len(queue, &len));
    CHECK(len == 2);
    OK(sw_expiry_queue_pop_expired(queue, now + SECONDS(40), ids, 2 * SW_MESSAGE_ID_LEN, &n));
    CHECK(n == 2 && memcmp(ids, id4, 16) == 0 && memcmp(ids + 16, id1, 16) == 0);
    OK(sw_expiry_queue_pop_expired(queue, now + SECONDS(40), ids, sizeof ids, &n));
    CHECK(n == 0);

    /* Remove, encode, decode. */
    OK(sw_expiry_queue_insert_at(queue, id3, sizeof id3, now + SECONDS(90)));
    OK(sw_expiry_queue_insert_after_read(queue, id4, sizeof id4, SECONDS(10)));
    OK(sw_expiry_queue_insert_at(queue, id1, sizeof id1, now + SECONDS(95)));
    OK(sw_expiry_queue_remove(queue, id1, sizeof id1));
    CHECK_RC(sw_expiry_queue_remove(queue, id1, sizeof id1), SW_EXPIRY_NOT_FOUND);
    uint8_t encoded[256];
    size_t encoded_len = 0;
    CHECK_RC(sw_expiry_queue_encode(queue, encoded, 10, &encoded_len), SW_BUFFER_TOO_SMALL);
    CHECK(encoded_len == 5 + 2 * 25);
    OK(sw_expiry_queue_encode(queue, encoded, sizeof encoded, &encoded_len));
    sw_expiry_queue *copy = NULL;
    OK(sw_expiry_queue_decode(encoded, encoded_len, &copy));
    OK(sw_expiry_queue_len(copy, &len));
    CHECK(len == 2);
    sw_expiry_queue_free(copy);
    CHECK_RC(sw_expiry_queue_decode(encoded, encoded_len - 1, &copy), SW_DECODE_TRUNCATED);
    CHECK(copy == NULL);

    /* Skipped keys are erased on schedule. */
    OK(sw_session_erase_expired_keys(bob->session, now));
    OK(sw_session_set_max_skipped_key_age(bob->session, now, SECONDS(3600)));
    CHECK_RC(sw_session_set_max_skipped_key_age(NULL, now, 1), SW_NULL_POINTER);
}

/* Saves every long-lived handle, frees it, loads it back. */
static void test_save_restore(party_t *alice, party_t *bob, sw_expiry_queue **queue) {
    uint64_t now = T0 + SECONDS(300);
    size_t len = 0, need = 0;

    /* Bob: identity plain, prekeys sealed, session plain. */
    uint8_t id_blob[512];
    size_t id_len = 0;
    OK(sw_identity_save(bob->id, id_blob, sizeof id_blob, &id_len));
    CHECK_RC(sw_identity_save(bob->id, id_blob, id_len - 1, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == id_len);
    CHECK_RC(sw_prekey_store_save_sealed(NULL, bob->prekeys, STORAGE_KEY, 32, &TEST_ADDRESS, NULL, 0, &need),
             SW_BUFFER_TOO_SMALL);
    uint8_t *pk_blob = malloc(need);
    CHECK(pk_blob != NULL);
    size_t pk_len = 0;
    OK(sw_prekey_store_save_sealed(bob->rng, bob->prekeys, STORAGE_KEY, 32, &TEST_ADDRESS, pk_blob, need,
                                   &pk_len));
    CHECK(pk_len == need);
    size_t bob_len = 0;
    uint8_t *bob_blob = session_blob(bob->session, &bob_len);

    /* Alice: identity sealed, session sealed. */
    uint8_t alice_id_blob[512];
    size_t alice_id_len = 0;
    OK(sw_identity_save_sealed(alice->rng, alice->id, STORAGE_KEY, 32, &TEST_ADDRESS, alice_id_blob,
                               sizeof alice_id_blob, &alice_id_len));
    CHECK_RC(sw_session_save_sealed(NULL, alice->session, STORAGE_KEY, 32, &TEST_ADDRESS, NULL, 0, &need),
             SW_BUFFER_TOO_SMALL);
    uint8_t *alice_blob = malloc(need);
    CHECK(alice_blob != NULL);
    size_t alice_len = 0;
    OK(sw_session_save_sealed(alice->rng, alice->session, STORAGE_KEY, 32, &TEST_ADDRESS, alice_blob, need,
                              &alice_len));

    /* The queue, plain and sealed. */
    uint8_t q_blob[512], q_sealed[512];
    size_t q_len = 0, q_sealed_len = 0;
    OK(sw_expiry_queue_save(*queue, q_blob, sizeof q_blob, &q_len));
    OK(sw_expiry_queue_save_sealed(NULL, *queue, STORAGE_KEY, 32, &TEST_ADDRESS, q_sealed, sizeof q_sealed,
                                   &q_sealed_len));

    /* Everything goes away. */
    sw_identity_free(bob->id);
    sw_prekey_store_free(bob->prekeys);
    sw_session_free(bob->session);
    sw_identity_free(alice->id);
    sw_session_free(alice->session);
    sw_expiry_queue_free(*queue);

    /* Damaged, foreign and wrongly keyed blobs are refused. */
    sw_session *s = NULL;
    sw_identity *i = NULL;
    uint8_t other_key[32];
    memset(other_key, 0x55, sizeof other_key);
    CHECK_RC(sw_session_load(id_blob, id_len, &s), SW_STATE_WRONG_KIND);
    CHECK(s == NULL);
    CHECK_RC(sw_session_load(alice_blob, alice_len, &s), SW_STATE_SEALED);
    CHECK_RC(sw_session_load_sealed(other_key, 32, &TEST_ADDRESS, alice_blob, alice_len, &s),
             SW_STATE_WRONG_STORAGE_KEY);
    CHECK_RC(sw_session_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, bob_blob, bob_len, &s), SW_STATE_NOT_SEALED);
    CHECK_RC(sw_session_load_sealed(STORAGE_KEY, 31, &TEST_ADDRESS, alice_blob, alice_len, &s),
             SW_INVALID_ARGUMENT);
    /* Moved to another row (another device of the peer, or bound to a
     * peer name): SW_STATE_WRONG_ADDRESS, told apart from a wrong key. */
    sw_blob_address elsewhere = TEST_ADDRESS;
    elsewhere.device_id = 2;
    CHECK_RC(sw_session_load_sealed(STORAGE_KEY, 32, &elsewhere, alice_blob, alice_len, &s),
             SW_STATE_WRONG_ADDRESS);
    CHECK(s == NULL);
    static const uint8_t carol[] = "carol";
    elsewhere = TEST_ADDRESS;
    elsewhere.peer_name = carol;
    elsewhere.peer_name_len = sizeof carol - 1;
    CHECK_RC(sw_session_load_sealed(STORAGE_KEY, 32, &elsewhere, alice_blob, alice_len, &s),
             SW_STATE_WRONG_ADDRESS);
    /* A bound blob is not a legacy one. */
    CHECK_RC(sw_session_load_sealed_legacy(STORAGE_KEY, 32, alice_blob, alice_len, &s),
             SW_STATE_ADDRESS_BOUND);
    CHECK_RC(sw_session_load(bob_blob, 3, &s), SW_STATE_NOT_A_STATE_BLOB);
    CHECK_RC(sw_session_load(bob_blob, bob_len - 1, &s), SW_STATE_CORRUPTED);
    bob_blob[bob_len / 2] ^= 1;
    CHECK_RC(sw_session_load(bob_blob, bob_len, &s), SW_STATE_CORRUPTED);
    bob_blob[bob_len / 2] ^= 1;
    alice_blob[alice_len - 1] ^= 1;
    CHECK_RC(sw_session_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, alice_blob, alice_len, &s),
             SW_STATE_CORRUPTED);
    alice_blob[alice_len - 1] ^= 1;
    CHECK_RC(sw_identity_load(bob_blob, bob_len, &i), SW_STATE_WRONG_KIND);
    CHECK(s == NULL && i == NULL);

    /* Restored. */
    OK(sw_identity_load(id_blob, id_len, &bob->id));
    OK(sw_prekey_store_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, pk_blob, pk_len, &bob->prekeys));
    OK(sw_session_load(bob_blob, bob_len, &bob->session));
    OK(sw_identity_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, alice_id_blob, alice_id_len, &alice->id));
    OK(sw_session_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, alice_blob, alice_len, &alice->session));
    OK(sw_expiry_queue_load(q_blob, q_len, queue));
    sw_expiry_queue *q2 = NULL;
    OK(sw_expiry_queue_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, q_sealed, q_sealed_len, &q2));
    OK(sw_expiry_queue_len(q2, &len));
    CHECK(len == 2);
    sw_expiry_queue_free(q2);
    size_t again_len = 0;
    uint8_t *again = session_blob(bob->session, &again_len);
    CHECK(again_len == bob_len && memcmp(again, bob_blob, bob_len) == 0);
    free(again);
    free(pk_blob);
    free(bob_blob);
    free(alice_blob);

    size_t count = 0;
    OK(sw_prekey_store_one_time_prekey_count(bob->prekeys, &count));
    CHECK(count == 4);
    OK(sw_expiry_queue_len(*queue, &len));
    CHECK(len == 2);

    /* The conversation carries on, both ways, with a ratchet turn. */
    msg_t m, r;
    encrypt(alice->session, alice->rng, now, "after the restart", &m);
    uint8_t plain[4096];
    size_t plain_len = 0;
    sw_received_info info;
    OK(sw_session_decrypt(bob->session, now, m.b, m.len, plain, sizeof plain, &plain_len, &info));
    CHECK(plain_len == strlen("after the restart"));
    CHECK(memcmp(plain, "after the restart", plain_len) == 0);
    encrypt(bob->session, bob->rng, now, "welcome back", &r);
    OK(sw_session_decrypt(alice->session, now, r.b, r.len, plain, sizeof plain, &plain_len, &info));
    CHECK(plain_len == strlen("welcome back"));

    /* A restored identity signs the same bundles. */
    uint8_t bundle_bytes[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = 0;
    uint32_t new_spk = 0;
    OK(sw_prekey_store_rotate_signed_prekey(NULL, bob->prekeys, bob->id, &new_spk));
    CHECK(new_spk == 2);
    OK(sw_prekey_store_bundle(bob->prekeys, bob->id, bundle_bytes, sizeof bundle_bytes,
                              &bundle_len));
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(bundle_bytes, bundle_len, &bundle));
    uint32_t spk = 0, opk = 7;
    bool has_opk = true;
    OK(sw_bundle_signed_prekey_id(bundle, &spk));
    OK(sw_bundle_one_time_prekey_id(bundle, &has_opk, &opk));
    CHECK(spk == 2 && !has_opk && opk == 0);
    sw_bundle_free(bundle);
}

static void test_safety_numbers(party_t *alice, party_t *bob) {
    uint8_t a[32], b[32];
    size_t len = 0;
    OK(sw_identity_public_key(alice->id, a, sizeof a, &len));
    OK(sw_identity_public_key(bob->id, b, sizeof b, &len));
    sw_safety_number *at_alice = NULL, *at_bob = NULL;
    OK(sw_safety_number_new(a, 32, (const uint8_t *)"+14152222222", 12, b, 32,
                            (const uint8_t *)"+14153333333", 12, &at_alice));
    OK(sw_safety_number_new(b, 32, (const uint8_t *)"+14153333333", 12, a, 32,
                            (const uint8_t *)"+14152222222", 12, &at_bob));
    char da[SW_SAFETY_NUMBER_DISPLAY_LEN], db[SW_SAFETY_NUMBER_DISPLAY_LEN];
    OK(sw_safety_number_displayable(at_alice, da, sizeof da, &len));
    CHECK(len == SW_SAFETY_NUMBER_DISPLAY_LEN && strlen(da) == 60);
    OK(sw_safety_number_displayable(at_bob, db, sizeof db, &len));
    CHECK(strcmp(da, db) == 0);
    uint8_t qa[SW_SAFETY_NUMBER_SCANNABLE_LEN], qb[SW_SAFETY_NUMBER_SCANNABLE_LEN];
    OK(sw_safety_number_scannable(at_alice, qa, sizeof qa, &len));
    CHECK(len == SW_SAFETY_NUMBER_SCANNABLE_LEN);
    OK(sw_safety_number_scannable(at_bob, qb, sizeof qb, &len));
    OK(sw_safety_number_verify_scanned(at_alice, qb, sizeof qb));
    OK(sw_safety_number_verify_scanned(at_bob, qa, sizeof qa));
    CHECK_RC(sw_safety_number_verify_scanned(at_alice, qa, sizeof qa), SW_SAFETY_NUMBER_MISMATCH);
    CHECK_RC(sw_safety_number_verify_scanned(at_alice, qb, sizeof qb - 1), SW_DECODE_TRUNCATED);
    /* An invalid key (not a curve point encoding: y >= p). */
    uint8_t bad[32];
    memset(bad, 0xff, sizeof bad);
    sw_safety_number *none = NULL;
    CHECK_RC(sw_safety_number_new(bad, 32, NULL, 0, b, 32, NULL, 0, &none),
             SW_DECODE_INVALID_KEY);
    CHECK(none == NULL);
    sw_safety_number_free(at_alice);
    sw_safety_number_free(at_bob);
}

/* Bob accepts a prekey message: the result code; the plaintext checked on
 * success. The session (or NULL) is stored in *out. */
static sw_result accept_text(const sw_identity *id, sw_prekey_store *store, uint64_t now,
                             const msg_t *m, const char *text, sw_session **out) {
    uint8_t plain[4096];
    size_t n = 0;
    sw_received_info info;
    sw_result rc =
        sw_session_accept(id, store, now, m->b, m->len, plain, sizeof plain, &n, &info, out);
    if (rc == SW_OK) {
        CHECK(*out != NULL);
        CHECK(n == strlen(text) && memcmp(plain, text, n) == 0);
    } else {
        CHECK(*out == NULL && n == 0);
    }
    return rc;
}

/* The prekey store's plain state blob (malloc'd), through a size query. */
static uint8_t *store_blob(const sw_prekey_store *store, size_t *len) {
    size_t need = 0;
    CHECK_RC(sw_prekey_store_save(store, NULL, 0, &need), SW_BUFFER_TOO_SMALL);
    uint8_t *b = malloc(need);
    CHECK(b != NULL);
    OK(sw_prekey_store_save(store, b, need, len));
    CHECK(*len == need);
    return b;
}

static void expect_store_unchanged(const sw_prekey_store *store, const uint8_t *blob, size_t len) {
    size_t now_len = 0;
    uint8_t *now = store_blob(store, &now_len);
    CHECK(now_len == len && memcmp(now, blob, len) == 0);
    free(now);
}

/* Alice starts a session from Bob's encoded bundle. */
static sw_session *initiate_from(const sw_identity *id, sw_rng *rng, const uint8_t *bundle_bytes,
                                 size_t bundle_len) {
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(bundle_bytes, bundle_len, &bundle));
    sw_session *s = NULL;
    OK(sw_session_initiate(rng, id, bundle, &s));
    sw_bundle_free(bundle);
    return s;
}

static void test_post_quantum(void) {
    uint64_t now = T0;
    sw_rng *rng = seeded(0xC3);
    sw_identity *alice_id = NULL, *bob_id = NULL;
    OK(sw_identity_new(rng, &alice_id));
    OK(sw_identity_new(rng, &bob_id));

    /* Bob's PQ store: a signed prekey and a last-resort PQ prekey (id 1),
     * then one-time PQ prekeys (ids 2, 3, 4) and classic ones. */
    sw_prekey_store *store = NULL;
    OK(sw_prekey_store_new_pq(rng, bob_id, &store));
    bool present = false;
    uint32_t last_resort = 0;
    OK(sw_prekey_store_last_resort_pq_prekey_id(store, &present, &last_resort));
    CHECK(present && last_resort == 1);
    size_t generated = 0, count = 0;
    OK(sw_prekey_store_generate_pq_one_time_prekeys(rng, store, bob_id, 3, &generated));
    CHECK(generated == 3);
    OK(sw_prekey_store_pq_one_time_prekey_count(store, &count));
    CHECK(count == 3);
    uint32_t pq_ids[8];
    CHECK_RC(sw_prekey_store_pq_one_time_prekey_ids(store, pq_ids, 2, &count), SW_BUFFER_TOO_SMALL);
    CHECK(count == 3);
    OK(sw_prekey_store_pq_one_time_prekey_ids(store, pq_ids, 8, &count));
    CHECK(count == 3 && pq_ids[0] == 2 && pq_ids[1] == 3 && pq_ids[2] == 4);
    uint32_t opks[2];
    OK(sw_prekey_store_generate_one_time_prekeys(rng, store, 2, opks, 2, &count));
    bool required = true;
    OK(sw_prekey_store_requires_pq(store, &required));
    CHECK(!required);

    /* A bundle with a classic one-time prekey and a one-time PQ prekey: the
     * largest there is. */
    uint8_t full[SW_MAX_BUNDLE_LEN];
    size_t full_len = 0;
    CHECK_RC(sw_prekey_store_bundle_with_pq(store, bob_id, true, opks[0], true, pq_ids[0], NULL, 0,
                                            &full_len),
             SW_BUFFER_TOO_SMALL);
    CHECK(full_len == SW_MAX_BUNDLE_LEN);
    OK(sw_prekey_store_bundle_with_pq(store, bob_id, true, opks[0], true, pq_ids[0], full, sizeof full,
                                      &full_len));
    CHECK_RC(sw_prekey_store_bundle_with_pq(store, bob_id, false, 0, true, 999, full, sizeof full,
                                            &count),
             SW_PREKEY_NOT_FOUND);
    CHECK_RC(sw_prekey_store_bundle_with_pq(store, bob_id, false, 0, true, last_resort, full,
                                            sizeof full, &count),
             SW_PREKEY_NOT_FOUND); /* a last-resort id is no one-time PQ prekey */
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(full, full_len, &bundle));
    uint32_t id = 0;
    sw_pq_prekey_kind kind = SW_PQ_PREKEY_NONE;
    OK(sw_bundle_pq_prekey_id(bundle, &present, &id, &kind));
    CHECK(present && id == pq_ids[0] && kind == SW_PQ_PREKEY_ONE_TIME);
    OK(sw_bundle_one_time_prekey_id(bundle, &present, &id));
    CHECK(present && id == opks[0]);
    uint8_t reencoded[SW_MAX_BUNDLE_LEN];
    size_t reencoded_len = 0;
    OK(sw_bundle_encode(bundle, reencoded, sizeof reencoded, &reencoded_len));
    CHECK(reencoded_len == full_len && memcmp(reencoded, full, full_len) == 0);
    sw_bundle_free(bundle);

    /* The plain bundle carries the last-resort PQ prekey. */
    uint8_t plain_bundle[SW_MAX_BUNDLE_LEN];
    size_t plain_bundle_len = 0;
    OK(sw_prekey_store_bundle(store, bob_id, plain_bundle, sizeof plain_bundle,
                              &plain_bundle_len));
    CHECK(plain_bundle_len == SW_MAX_BUNDLE_LEN - 36);
    OK(sw_bundle_parse(plain_bundle, plain_bundle_len, &bundle));
    OK(sw_bundle_pq_prekey_id(bundle, &present, &id, &kind));
    CHECK(present && id == last_resort && kind == SW_PQ_PREKEY_LAST_RESORT);
    sw_bundle_free(bundle);

    /* A PQ prekey whose signature does not verify is refused. */
    uint8_t forged[SW_MAX_BUNDLE_LEN];
    memcpy(forged, plain_bundle, plain_bundle_len);
    forged[plain_bundle_len - 40] ^= 1;
    sw_bundle *bad = (sw_bundle *)&forged;
    CHECK_RC(sw_bundle_parse(forged, plain_bundle_len, &bad), SW_BUNDLE_INVALID_SIGNATURE);
    CHECK(bad == NULL);

    /* Alice: PQXDH, three prekey messages, each carrying the ciphertext. */
    sw_session *alice = initiate_from(alice_id, rng, full, full_len);
    bool known = false, pq = false;
    OK(sw_session_is_post_quantum(alice, &known, &pq));
    CHECK(known && pq);
    sw_key_agreement agreement = SW_KEY_AGREEMENT_UNRECORDED;
    OK(sw_session_key_agreement(alice, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_PQXDH);
    size_t need = 0;
    OK(sw_session_encrypted_len(alice, 5, &need));
    CHECK(need > SW_KEM_CIPHERTEXT_LEN + 5);
    msg_t m0, m1, m2;
    encrypt(alice, rng, now, "pq hello", &m0);
    encrypt(alice, rng, now, "pq second", &m1);
    encrypt(alice, rng, now, "pq third", &m2);

    /* Bob requires PQ from now on and accepts from the second message. */
    OK(sw_prekey_store_set_require_pq(store, true));
    OK(sw_prekey_store_requires_pq(store, &required));
    CHECK(required);
    sw_session *bob = NULL;
    OK(accept_text(bob_id, store, now, &m1, "pq second", &bob));
    OK(sw_prekey_store_pq_one_time_prekey_count(store, &count));
    CHECK(count == 2); /* used up */
    OK(sw_prekey_store_pq_one_time_prekey_ids(store, pq_ids, 8, &count));
    CHECK(count == 2 && pq_ids[0] == 3 && pq_ids[1] == 4);
    OK(sw_prekey_store_one_time_prekey_count(store, &count));
    CHECK(count == 1);
    OK(sw_session_is_post_quantum(bob, &known, &pq));
    CHECK(known && pq); /* the responder's session records it */
    agreement = SW_KEY_AGREEMENT_UNRECORDED;
    OK(sw_session_key_agreement(bob, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_PQXDH);

    /* The same prekey message again: its one-time prekeys are gone (the
     * classic one is looked up first). */
    sw_session *again = NULL;
    CHECK_RC(accept_text(bob_id, store, now, &m2, NULL, &again),
             SW_SESSION_UNKNOWN_ONE_TIME_PREKEY);

    /* Out of order: the third, then the first; the reply establishes. */
    expect_text(bob, now, &m2, "pq third", 2);
    expect_text(bob, now, &m0, "pq hello", 0);
    now += SECONDS(1);
    msg_t r0, r1;
    encrypt(bob, rng, now, "pq reply 0", &r0);
    encrypt(bob, rng, now, "pq reply 1", &r1);
    expect_text(alice, now, &r1, "pq reply 1", 1);
    expect_text(alice, now, &r0, "pq reply 0", 0);
    bool established = false;
    OK(sw_session_is_established(alice, &established));
    CHECK(established);
    OK(sw_session_is_post_quantum(alice, &known, &pq));
    CHECK(known && pq); /* kept from the pending phase */
    agreement = SW_KEY_AGREEMENT_UNRECORDED;
    OK(sw_session_key_agreement(alice, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_PQXDH);
    msg_t a0, a1, a2;
    encrypt(alice, rng, now, "turn 0", &a0);
    encrypt(alice, rng, now, "turn 1", &a1);
    encrypt(alice, rng, now, "turn 2", &a2);
    expect_text(bob, now, &a1, "turn 1", 1);
    expect_text(bob, now, &a2, "turn 2", 2);
    expect_text(bob, now, &a0, "turn 0", 0);

    /* A one-time PQ prekey alone: used once; a second accept names a PQ
     * prekey the store no longer holds, and changes nothing. */
    uint8_t pq_only[SW_MAX_BUNDLE_LEN];
    size_t pq_only_len = 0;
    OK(sw_prekey_store_bundle_with_pq(store, bob_id, false, 0, true, pq_ids[0], pq_only, sizeof pq_only,
                                      &pq_only_len));
    CHECK(pq_only_len == SW_MAX_BUNDLE_LEN - 36);
    sw_session *carol = initiate_from(alice_id, rng, pq_only, pq_only_len);
    msg_t c0;
    encrypt(carol, rng, now, "one-time", &c0);
    sw_session *bob2 = NULL;
    OK(accept_text(bob_id, store, now, &c0, "one-time", &bob2));
    size_t before_len = 0;
    uint8_t *before = store_blob(store, &before_len);
    CHECK_RC(accept_text(bob_id, store, now, &c0, NULL, &again), SW_SESSION_UNKNOWN_PQ_PREKEY);
    expect_store_unchanged(store, before, before_len);
    free(before);

    /* The last-resort PQ prekey: reusable by new sessions, but a replayed
     * prekey message is refused. */
    sw_session *dave = initiate_from(alice_id, rng, plain_bundle, plain_bundle_len);
    sw_session *erin = initiate_from(alice_id, rng, plain_bundle, plain_bundle_len);
    msg_t d0, e0;
    encrypt(dave, rng, now, "last resort", &d0);
    encrypt(erin, rng, now, "last resort too", &e0);
    sw_session *bob3 = NULL, *bob4 = NULL;
    OK(accept_text(bob_id, store, now, &d0, "last resort", &bob3));
    before = store_blob(store, &before_len);
    CHECK_RC(accept_text(bob_id, store, now, &d0, NULL, &again),
             SW_SESSION_REPLAYED_PREKEY_MESSAGE);
    expect_store_unchanged(store, before, before_len);
    free(before);
    OK(accept_text(bob_id, store, now, &e0, "last resort too", &bob4));

    /* The require-PQ policy: a classic prekey message (from a bundle of the
     * store before it had PQ prekeys) is refused with its own code,
     * accepted once the policy is off. */
    sw_prekey_store *upgraded = NULL;
    OK(sw_prekey_store_new(rng, bob_id, &upgraded));
    uint8_t classic[SW_MAX_BUNDLE_LEN];
    size_t classic_len = 0;
    OK(sw_prekey_store_bundle(upgraded, bob_id, classic, sizeof classic, &classic_len));
    CHECK(classic_len == 135);
    sw_session *frank = initiate_from(alice_id, rng, classic, classic_len);
    OK(sw_session_is_post_quantum(frank, &known, &pq));
    CHECK(known && !pq);
    OK(sw_session_key_agreement(frank, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_X3DH);
    msg_t f0;
    encrypt(frank, rng, now, "classic", &f0);
    OK(sw_prekey_store_rotate_last_resort_pq_prekey(NULL, upgraded, bob_id, &id));
    CHECK(id == 1);
    OK(sw_prekey_store_set_require_pq(upgraded, true));
    before = store_blob(upgraded, &before_len);
    CHECK_RC(accept_text(bob_id, upgraded, now, &f0, NULL, &again), SW_SESSION_PQ_REQUIRED);
    expect_store_unchanged(upgraded, before, before_len);
    free(before);
    CHECK(strcmp(sw_result_message(SW_SESSION_PQ_REQUIRED), "post-quantum key agreement required") ==
          0);
    OK(sw_prekey_store_set_require_pq(upgraded, false));
    sw_session *bob5 = NULL;
    OK(accept_text(bob_id, upgraded, now, &f0, "classic", &bob5));
    agreement = SW_KEY_AGREEMENT_UNRECORDED;
    OK(sw_session_key_agreement(bob5, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_X3DH); /* a classic responder */
    msg_t f1;
    encrypt(bob5, rng, now, "classic reply", &f1);
    expect_text(frank, now, &f1, "classic reply", 0);
    agreement = SW_KEY_AGREEMENT_UNRECORDED;
    OK(sw_session_key_agreement(frank, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_X3DH); /* a classic initiator, established */

    /* Saved and restored: the PQ store (plain and sealed) keeps its PQ
     * prekeys, its policy and its replay records; a pending PQ session
     * stays PQ. */
    size_t blob_len = 0;
    uint8_t *blob = store_blob(store, &blob_len);
    size_t sealed_need = 0, sealed_len = 0;
    CHECK_RC(sw_prekey_store_save_sealed(rng, store, STORAGE_KEY, 32, &TEST_ADDRESS, NULL, 0, &sealed_need),
             SW_BUFFER_TOO_SMALL);
    uint8_t *sealed = malloc(sealed_need);
    CHECK(sealed != NULL);
    OK(sw_prekey_store_save_sealed(rng, store, STORAGE_KEY, 32, &TEST_ADDRESS, sealed, sealed_need,
                                   &sealed_len));
    uint8_t later[SW_MAX_BUNDLE_LEN];
    size_t later_len = 0;
    OK(sw_prekey_store_bundle_with_pq(store, bob_id, false, 0, true, pq_ids[1], later, sizeof later,
                                      &later_len));
    sw_session *hank = initiate_from(alice_id, rng, later, later_len);
    msg_t h0;
    encrypt(hank, rng, now, "after restart", &h0);
    size_t hank_len = 0;
    uint8_t *hank_blob = session_blob(hank, &hank_len);
    sw_session_free(hank);
    sw_prekey_store_free(store);
    store = NULL;
    CHECK_RC(sw_prekey_store_load(sealed, sealed_len, &store), SW_STATE_SEALED);
    OK(sw_prekey_store_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, sealed, sealed_len, &store));
    expect_store_unchanged(store, blob, blob_len);
    sw_prekey_store_free(store);
    OK(sw_prekey_store_load(blob, blob_len, &store));
    expect_store_unchanged(store, blob, blob_len);
    OK(sw_prekey_store_requires_pq(store, &required));
    CHECK(required);
    OK(sw_prekey_store_last_resort_pq_prekey_id(store, &present, &id));
    CHECK(present && id == last_resort);
    OK(sw_prekey_store_pq_one_time_prekey_count(store, &count));
    CHECK(count == 1);
    CHECK_RC(accept_text(bob_id, store, now, &d0, NULL, &again),
             SW_SESSION_REPLAYED_PREKEY_MESSAGE);
    OK(sw_session_load(hank_blob, hank_len, &hank));
    OK(sw_session_is_post_quantum(hank, &known, &pq));
    CHECK(known && pq);
    sw_session *bob6 = NULL;
    OK(accept_text(bob_id, store, now, &h0, "after restart", &bob6));
    msg_t h1;
    encrypt(bob6, rng, now, "welcome back", &h1);
    expect_text(hank, now, &h1, "welcome back", 0);
    /* Established PQ sessions, saved and restored (blob v3), keep it. */
    sw_session *both[2] = {hank, bob6};
    for (int i = 0; i < 2; i++) {
        size_t saved_len = 0;
        uint8_t *saved = session_blob(both[i], &saved_len);
        sw_session *restored = NULL;
        OK(sw_session_load(saved, saved_len, &restored));
        agreement = SW_KEY_AGREEMENT_UNRECORDED;
        OK(sw_session_key_agreement(restored, &agreement));
        CHECK(agreement == SW_KEY_AGREEMENT_PQXDH);
        OK(sw_session_is_established(restored, &established));
        CHECK(established);
        sw_session_free(restored);
        free(saved);
    }
    OK(sw_prekey_store_pq_one_time_prekey_count(store, &count));
    CHECK(count == 0);

    /* Rotating the last-resort PQ prekey: bundles carry the new one. */
    OK(sw_prekey_store_rotate_last_resort_pq_prekey(rng, store, bob_id, &id));
    CHECK(id == 5);
    OK(sw_prekey_store_bundle(store, bob_id, plain_bundle, sizeof plain_bundle,
                              &plain_bundle_len));
    OK(sw_bundle_parse(plain_bundle, plain_bundle_len, &bundle));
    OK(sw_bundle_pq_prekey_id(bundle, &present, &id, &kind));
    CHECK(present && id == 5 && kind == SW_PQ_PREKEY_LAST_RESORT);
    sw_bundle_free(bundle);

    free(blob);
    free(sealed);
    free(hank_blob);
    sw_session *sessions[] = {alice, bob, carol, bob2, dave, erin, bob3, bob4, frank, bob5, hank,
                              bob6};
    for (size_t i = 0; i < sizeof sessions / sizeof sessions[0]; i++) {
        sw_session_free(sessions[i]);
    }
    sw_prekey_store_free(store);
    sw_prekey_store_free(upgraded);
    sw_identity_free(alice_id);
    sw_identity_free(bob_id);
    sw_rng_free(rng);
}

/* Franked encryption: the size query, then the message. */
static void encrypt_franked(sw_session *s, sw_rng *rng, uint64_t now, const uint8_t *body,
                            size_t body_len, msg_t *out) {
    size_t need = 0, plain_need = 0;
    OK(sw_session_franked_encrypted_len(s, body_len, &need));
    OK(sw_session_encrypted_len(s, body_len, &plain_need));
    CHECK(need == plain_need + SW_FRANKING_KEY_LEN + SW_FRANKING_COMMITMENT_LEN);
    CHECK(need <= sizeof out->b);
    OK(sw_session_encrypt_franked(rng, s, now, SW_CONTENT_USER_MESSAGE, body, body_len, out->b,
                                  sizeof out->b, &out->len));
    CHECK(out->len == need);
}

/* Decrypts and checks the plaintext; returns the metadata. */
static sw_received_info decrypt_text(sw_session *s, uint64_t now, const msg_t *m, const void *text,
                                     size_t text_len) {
    uint8_t plain[4096];
    size_t n = 0;
    sw_received_info info;
    OK(sw_session_decrypt(s, now, m->b, m->len, plain, sizeof plain, &n, &info));
    CHECK(n == text_len && memcmp(plain, text, n) == 0);
    return info;
}

/* The franking evidence of `info` matches the commitment on the wire. */
static void expect_evidence(const sw_received_info *info, const msg_t *m) {
    uint8_t cf[SW_FRANKING_COMMITMENT_LEN];
    size_t n = 0;
    CHECK(info->is_franked);
    OK(sw_commitment_of(m->b, m->len, cf, sizeof cf, &n));
    CHECK(n == sizeof cf && memcmp(cf, info->commitment, sizeof cf) == 0);
    static const uint8_t zero[32] = {0};
    CHECK(memcmp(info->franking_key, zero, 32) != 0);
}

static void expect_no_evidence(const sw_received_info *info) {
    static const uint8_t zero[32] = {0};
    CHECK(!info->is_franked);
    CHECK(memcmp(info->franking_key, zero, 32) == 0 && memcmp(info->commitment, zero, 32) == 0);
}

typedef struct {
    uint8_t *b; /* malloc'd */
    size_t len;
} report_t;

/* What a recipient keeps of a franked message to report it. */
typedef struct {
    sw_received_info info;
    uint8_t body[4096];
    size_t body_len;
    uint8_t stamp[2200];
    size_t stamp_len;
} evidence_t;

/* Builds a report from stored evidence (size query, then the report) as
 * `recipient`; `attachment` may be NULL (none). Returns the result code. */
static sw_result make_report(const evidence_t *e, const sw_identity *recipient,
                             const uint8_t *body, size_t body_len, const uint8_t *attachment,
                             size_t attachment_len, report_t *out) {
    size_t need = 0;
    sw_result rc;
#define REPORT_ARGS recipient, &e->info, body, body_len, e->stamp, e->stamp_len
    if (attachment != NULL) {
        rc = sw_report_from_received_with_attachment(REPORT_ARGS, attachment, attachment_len,
                                                     NULL, 0, &need);
    } else {
        rc = sw_report_from_received(REPORT_ARGS, NULL, 0, &need);
    }
    if (rc != SW_BUFFER_TOO_SMALL) {
        CHECK(need == 0);
        return rc;
    }
    out->b = malloc(need);
    CHECK(out->b != NULL);
    if (attachment != NULL) {
        rc = sw_report_from_received_with_attachment(REPORT_ARGS, attachment, attachment_len,
                                                     out->b, need, &out->len);
    } else {
        rc = sw_report_from_received(REPORT_ARGS, out->b, need, &out->len);
    }
#undef REPORT_ARGS
    CHECK(rc == SW_OK && out->len == need);
    return rc;
}

/* Copies a verified report's byte field out (size query first). */
static size_t verified_field(sw_result (*get)(const sw_verified_report *, uint8_t *, size_t,
                                              size_t *),
                             const sw_verified_report *v, uint8_t *buf, size_t cap) {
    size_t need = 0, n = 0;
    sw_result rc = get(v, NULL, 0, &need);
    CHECK(rc == SW_OK || rc == SW_BUFFER_TOO_SMALL);
    CHECK(need <= cap);
    OK(get(v, buf, cap, &n));
    CHECK(n == need);
    return n;
}

/* Message franking (SPEC.md §19): franked and unfranked messages in one
 * conversation, the evidence returned by accept and decrypt (both paths),
 * the relay's stamp, reports built and verified, altered reports and a
 * foreign relay key refused, an attachment sent, opened and reported. */
static void test_franking(void) {
    uint64_t now = T0;
    sw_rng *rng = seeded(0xF4);
    sw_identity *alice_id = NULL, *bob_id = NULL;
    OK(sw_identity_new(rng, &alice_id));
    OK(sw_identity_new(rng, &bob_id));
    uint8_t alice_key[32], bob_key[32];
    size_t n = 0;
    OK(sw_identity_public_key(alice_id, alice_key, sizeof alice_key, &n));
    OK(sw_identity_public_key(bob_id, bob_key, sizeof bob_key, &n));
    sw_prekey_store *store = NULL;
    OK(sw_prekey_store_new(rng, bob_id, &store));
    uint8_t published[SW_MAX_BUNDLE_LEN];
    size_t published_len = 0;
    OK(sw_prekey_store_bundle(store, bob_id, published, sizeof published, &published_len));
    sw_session *alice = initiate_from(alice_id, rng, published, published_len);

    /* Alice (pending): a franked prekey message, an unfranked one. */
    const char *text = "you will regret this";
    msg_t franked_hello, plain_hello;
    encrypt_franked(alice, rng, now, (const uint8_t *)text, strlen(text), &franked_hello);
    encrypt(alice, rng, now, "an ordinary message", &plain_hello);
    /* Bad arguments change nothing. */
    size_t alice_blob_len = 0;
    uint8_t *alice_blob = session_blob(alice, &alice_blob_len);
    msg_t scratch;
    CHECK_RC(sw_session_encrypt_franked(rng, alice, now, SW_CONTENT_TIMER_CHANGE,
                                        (const uint8_t *)"x", 1, scratch.b, sizeof scratch.b,
                                        &scratch.len),
             SW_INVALID_ARGUMENT);
    CHECK_RC(sw_session_encrypt_franked(rng, alice, now, SW_CONTENT_USER_MESSAGE,
                                        (const uint8_t *)"x", 1, scratch.b, 10, &scratch.len),
             SW_BUFFER_TOO_SMALL);
    size_t need = 0;
    OK(sw_session_franked_encrypted_len(alice, 1, &need));
    CHECK(scratch.len == need);
    CHECK_RC(sw_session_encrypt_franked(rng, alice, now, SW_CONTENT_USER_MESSAGE, scratch.b + 8, 4,
                                        scratch.b, sizeof scratch.b, &scratch.len),
             SW_INVALID_ARGUMENT); /* overlapping body and buffer */
    expect_unchanged(alice, alice_blob, alice_blob_len);
    free(alice_blob);

    /* Bob accepts the franked prekey message: the evidence comes back. */
    evidence_t text_ev;
    sw_session *bob = NULL;
    OK(sw_session_accept(bob_id, store, now, franked_hello.b, franked_hello.len, text_ev.body,
                         sizeof text_ev.body, &text_ev.body_len, &text_ev.info, &bob));
    CHECK(text_ev.body_len == strlen(text) && memcmp(text_ev.body, text, text_ev.body_len) == 0);
    CHECK(memcmp(text_ev.info.sender, alice_key, 32) == 0);
    expect_evidence(&text_ev.info, &franked_hello);
    sw_received_info info = decrypt_text(bob, now, &plain_hello, "an ordinary message", 19);
    expect_no_evidence(&info);

    /* Bob replies franked; Alice (pending, the owned decrypt path). */
    msg_t reply;
    encrypt_franked(bob, rng, now, (const uint8_t *)"a franked reply", 15, &reply);
    info = decrypt_text(alice, now, &reply, "a franked reply", 15);
    expect_evidence(&info, &reply);
    CHECK(memcmp(info.sender, bob_key, 32) == 0);
    /* Established both ways: Bob decrypts in place (the buffer path). */
    msg_t later, later_plain;
    encrypt_franked(alice, rng, now + 1, (const uint8_t *)"later", 5, &later);
    encrypt(alice, rng, now + 1, "later, unfranked", &later_plain);
    info = decrypt_text(bob, now + 1, &later, "later", 5);
    expect_evidence(&info, &later);
    CHECK(info.sent_at_ms == now + 1);
    info = decrypt_text(bob, now + 1, &later_plain, "later, unfranked", 16);
    expect_no_evidence(&info);
    /* A franked message whose commitment was changed on the way fails
     * authentication (cf is in the associated data). */
    msg_t forged;
    encrypt_franked(alice, rng, now, (const uint8_t *)"forged", 6, &forged);
    uint8_t cf[32];
    OK(sw_commitment_of(forged.b, forged.len, cf, sizeof cf, &n));
    for (size_t i = 0; i + 32 <= forged.len; i++) {
        if (memcmp(forged.b + i, cf, 32) == 0) {
            forged.b[i] ^= 1;
            break;
        }
    }
    size_t bob_blob_len = 0;
    uint8_t *bob_blob = session_blob(bob, &bob_blob_len);
    uint8_t plain[4096];
    CHECK_RC(sw_session_decrypt(bob, now, forged.b, forged.len, plain, sizeof plain, &n, &info),
             SW_SESSION_AUTHENTICATION_FAILED);
    expect_unchanged(bob, bob_blob, bob_blob_len);
    free(bob_blob);

    /* The relay: a key kept as bytes, a stamp on each franked message. */
    sw_relay_key *relay = NULL, *relay_again = NULL, *other_relay = NULL;
    OK(sw_relay_key_new(rng, &relay));
    OK(sw_relay_key_new(NULL, &other_relay));
    uint8_t relay_bytes[SW_RELAY_KEY_LEN];
    OK(sw_relay_key_danger_export(relay, relay_bytes, sizeof relay_bytes, &n));
    CHECK(n == SW_RELAY_KEY_LEN);
    CHECK_RC(sw_relay_key_from_bytes(relay_bytes, 31, &relay_again), SW_INVALID_ARGUMENT);
    CHECK(relay_again == NULL);
    OK(sw_relay_key_from_bytes(relay_bytes, sizeof relay_bytes, &relay_again));
    const uint8_t *from = (const uint8_t *)"acct:alice", *to = (const uint8_t *)"acct:bob";
    uint64_t routed_at = T0 + 250;
    CHECK_RC(sw_relay_stamp_message(relay, franked_hello.b, franked_hello.len, from, 10, to, 8,
                                    routed_at, NULL, 0, &text_ev.stamp_len),
             SW_BUFFER_TOO_SMALL);
    CHECK(text_ev.stamp_len == 46 + 10 + 8);
    OK(sw_relay_stamp_message(relay, franked_hello.b, franked_hello.len, from, 10, to, 8,
                              routed_at, text_ev.stamp, sizeof text_ev.stamp, &text_ev.stamp_len));
    /* Unfranked messages get no stamp; garbage is malformed. */
    uint8_t stamp[2200];
    size_t stamp_len = 0;
    CHECK_RC(sw_relay_stamp_message(relay, plain_hello.b, plain_hello.len, from, 10, to, 8,
                                    routed_at, stamp, sizeof stamp, &stamp_len),
             SW_REPORT_NOT_FRANKED);
    CHECK(stamp_len == 0);
    CHECK_RC(sw_commitment_of(later_plain.b, later_plain.len, cf, sizeof cf, &n),
             SW_REPORT_NOT_FRANKED);
    CHECK_RC(sw_commitment_of(franked_hello.b, 20, cf, sizeof cf, &n), SW_DECODE_TRUNCATED);
    uint8_t long_id[SW_MAX_ROUTING_ID_LEN + 1];
    memset(long_id, 'x', sizeof long_id);
    CHECK_RC(sw_relay_stamp_message(relay, franked_hello.b, franked_hello.len, long_id,
                                    sizeof long_id, to, 8, routed_at, stamp, sizeof stamp,
                                    &stamp_len),
             SW_DECODE_TOO_LARGE);
    OK(sw_relay_stamp_message(relay, franked_hello.b, franked_hello.len, long_id,
                              SW_MAX_ROUTING_ID_LEN, long_id, SW_MAX_ROUTING_ID_LEN, routed_at,
                              stamp, sizeof stamp, &stamp_len));
    CHECK(stamp_len == 46 + 2 * SW_MAX_ROUTING_ID_LEN);
    CHECK_RC(sw_relay_stamp_message(relay, franked_hello.b, franked_hello.len, from, 10, to, 8,
                                    routed_at, franked_hello.b, sizeof franked_hello.b,
                                    &stamp_len),
             SW_INVALID_ARGUMENT); /* the output overlaps the message */

    /* Bob reports the message; the relay verifies the report. */
    report_t report = {NULL, 0};
    OK(make_report(&text_ev, bob_id, text_ev.body, text_ev.body_len, NULL, 0, &report));
    CHECK(report.len == 188 + 10 + 8 + strlen(text));
    sw_verified_report *verified = NULL;
    OK(sw_relay_verify_report(relay_again, report.b, report.len, &verified));
    sw_report_info ri;
    OK(sw_verified_report_info(verified, &ri));
    CHECK(ri.content_type == SW_CONTENT_USER_MESSAGE && !ri.has_attachment);
    CHECK(ri.sent_at_ms == now && ri.routing_timestamp_ms == routed_at);
    CHECK(memcmp(ri.sender, alice_key, 32) == 0 && memcmp(ri.recipient, bob_key, 32) == 0);
    uint8_t field[4096];
    n = verified_field(sw_verified_report_body, verified, field, sizeof field);
    CHECK(n == strlen(text) && memcmp(field, text, n) == 0);
    n = verified_field(sw_verified_report_routing_sender, verified, field, sizeof field);
    CHECK(n == 10 && memcmp(field, from, n) == 0);
    n = verified_field(sw_verified_report_routing_recipient, verified, field, sizeof field);
    CHECK(n == 8 && memcmp(field, to, n) == 0);
    n = verified_field(sw_verified_report_attachment, verified, field, sizeof field);
    CHECK(n == 0);
    CHECK_RC(sw_verified_report_body(verified, field, 3, &n), SW_BUFFER_TOO_SMALL);
    CHECK(n == strlen(text));
    sw_verified_report_free(verified);

    /* An altered body: the commitment does not open. */
    sw_verified_report *refused = (sw_verified_report *)&report; /* overwritten with NULL */
    report_t altered = {NULL, 0};
    OK(make_report(&text_ev, bob_id, (const uint8_t *)"you will regret THIS", strlen(text), NULL,
                   0, &altered));
    CHECK_RC(sw_relay_verify_report(relay, altered.b, altered.len, &refused),
             SW_REPORT_BAD_COMMITMENT);
    CHECK(refused == NULL);
    free(altered.b);
    /* A byte of the encoded body flipped: the same. */
    report.b[report.len - 1] ^= 0x20;
    CHECK_RC(sw_relay_verify_report(relay, report.b, report.len, &refused),
             SW_REPORT_BAD_COMMITMENT);
    report.b[report.len - 1] ^= 0x20;
    /* Another relay's key, or an altered routing id: the stamp fails. */
    CHECK_RC(sw_relay_verify_report(other_relay, report.b, report.len, &refused),
             SW_REPORT_BAD_STAMP);
    report.b[172 + 10] ^= 1; /* the first byte of the sender account id */
    CHECK_RC(sw_relay_verify_report(relay, report.b, report.len, &refused), SW_REPORT_BAD_STAMP);
    report.b[172 + 10] ^= 1;
    /* A stamp made by another relay's key, reported to this relay. */
    evidence_t foreign = text_ev;
    OK(sw_relay_stamp_message(other_relay, franked_hello.b, franked_hello.len, from, 10, to, 8,
                              routed_at, foreign.stamp, sizeof foreign.stamp, &foreign.stamp_len));
    report_t foreign_report = {NULL, 0};
    OK(make_report(&foreign, bob_id, foreign.body, foreign.body_len, NULL, 0, &foreign_report));
    CHECK_RC(sw_relay_verify_report(relay, foreign_report.b, foreign_report.len, &refused),
             SW_REPORT_BAD_STAMP);
    OK(sw_relay_verify_report(other_relay, foreign_report.b, foreign_report.len, &verified));
    sw_verified_report_free(verified);
    free(foreign_report.b);
    /* Malformed reports, and reports that cannot be built. */
    CHECK_RC(sw_relay_verify_report(relay, report.b, report.len - 1, &refused),
             SW_DECODE_TRUNCATED);
    /* A message (version 0x02) is not a report (version 0x01). */
    CHECK_RC(sw_relay_verify_report(relay, franked_hello.b, franked_hello.len, &refused),
             SW_DECODE_UNSUPPORTED_VERSION);
    CHECK(refused == NULL);
    size_t rlen = 0;
    uint8_t rbuf[1024];
    sw_received_info bad = text_ev.info;
    bad.content_type = SW_CONTENT_TIMER_CHANGE;
    CHECK_RC(sw_report_from_received(bob_id, &bad, NULL, 0, text_ev.stamp, text_ev.stamp_len, rbuf,
                                     sizeof rbuf, &rlen),
             SW_REPORT_NOT_FRANKED);
    bad.content_type = SW_CONTENT_GROUP_KEY_DISTRIBUTION;
    CHECK_RC(sw_report_from_received(bob_id, &bad, NULL, 0, text_ev.stamp, text_ev.stamp_len, rbuf,
                                     sizeof rbuf, &rlen),
             SW_REPORT_NOT_FRANKED);
    bad.content_type = (sw_content_type)5;
    CHECK_RC(sw_report_from_received(bob_id, &bad, NULL, 0, text_ev.stamp, text_ev.stamp_len, rbuf,
                                     sizeof rbuf, &rlen),
             SW_INVALID_ARGUMENT);
    CHECK(strcmp(sw_last_error_detail(),
                 "info->content_type is 5: not an sw_content_type of a message") == 0);
    bad = text_ev.info;
    bad.is_franked = false;
    CHECK_RC(sw_report_from_received(bob_id, &bad, NULL, 0, text_ev.stamp, text_ev.stamp_len, rbuf,
                                     sizeof rbuf, &rlen),
             SW_REPORT_NOT_FRANKED);
    CHECK_RC(sw_report_from_received(bob_id, &text_ev.info, NULL, 0, text_ev.stamp,
                                     text_ev.stamp_len - 1, rbuf, sizeof rbuf, &rlen),
             SW_DECODE_TRUNCATED); /* a cut stamp */
    CHECK_RC(sw_report_from_received(bob_id, &text_ev.info, rbuf + 4, 8, text_ev.stamp,
                                     text_ev.stamp_len, rbuf, sizeof rbuf, &rlen),
             SW_INVALID_ARGUMENT); /* the body overlaps the output */
    CHECK(strcmp(sw_last_error_detail(), "buf overlaps body") == 0);
    CHECK_RC(sw_report_from_received((const sw_identity *)relay, &text_ev.info, NULL, 0,
                                     text_ev.stamp, text_ev.stamp_len, rbuf, sizeof rbuf, &rlen),
             SW_INVALID_HANDLE);
    CHECK(strcmp(sw_last_error_detail(),
                 "an sw_relay_key handle where an sw_identity handle is required") == 0);
    CHECK(rlen == 0);
    /* Handles of another type. */
    CHECK_RC(sw_relay_verify_report((const sw_relay_key *)alice_id, report.b, report.len,
                                    &refused),
             SW_INVALID_HANDLE);
    CHECK_RC(sw_verified_report_body((const sw_verified_report *)relay, field, sizeof field, &n),
             SW_INVALID_HANDLE);
    free(report.b);

    /* An attachment: Alice encrypts it, uploads the blob (here: keeps it),
     * and sends a pointer to it as a franked body. */
    uint8_t picture[3000];
    for (size_t i = 0; i < sizeof picture; i++) {
        picture[i] = (uint8_t)(i * 7 + 3);
    }
    uint8_t att_key[SW_ATTACHMENT_KEY_LEN];
    OK(sw_attachment_key_new(rng, att_key, sizeof att_key, &n));
    CHECK(n == SW_ATTACHMENT_KEY_LEN);
    size_t blob_len = 0;
    CHECK_RC(sw_attachment_encrypt(att_key, 32, picture, sizeof picture, NULL, 0, &blob_len),
             SW_BUFFER_TOO_SMALL);
    CHECK(blob_len == sizeof picture + SW_ATTACHMENT_OVERHEAD);
    uint8_t *blob = malloc(blob_len);
    CHECK(blob != NULL);
    OK(sw_attachment_encrypt(att_key, 32, picture, sizeof picture, blob, blob_len, &blob_len));
    CHECK_RC(sw_attachment_encrypt(att_key, 32, blob, 100, blob + 50, blob_len - 50, &n),
             SW_INVALID_ARGUMENT); /* overlapping */
    sw_attachment_pointer *pointer = NULL;
    const char *media = "image/png", *locator = "https://blobs.example/42";
    OK(sw_attachment_pointer_new(att_key, 32, picture, sizeof picture, (const uint8_t *)media,
                                 strlen(media), (const uint8_t *)locator, strlen(locator),
                                 &pointer));
    uint8_t long_media[256];
    memset(long_media, 'm', sizeof long_media);
    sw_attachment_pointer *bad_pointer = NULL;
    CHECK_RC(sw_attachment_pointer_new(att_key, 32, picture, sizeof picture, long_media,
                                       sizeof long_media, NULL, 0, &bad_pointer),
             SW_DECODE_TOO_LARGE);
    CHECK(bad_pointer == NULL);
    evidence_t att_ev;
    size_t body_len = 0;
    OK(sw_attachment_pointer_encode(pointer, att_ev.body, sizeof att_ev.body, &body_len));
    CHECK(body_len == 77 + strlen(media) + strlen(locator));
    sw_attachment_pointer_free(pointer);
    msg_t att_msg;
    encrypt_franked(alice, rng, now + 2, att_ev.body, body_len, &att_msg);
    OK(sw_relay_stamp_message(relay, att_msg.b, att_msg.len, from, 10, to, 8, routed_at + 2,
                              att_ev.stamp, sizeof att_ev.stamp, &att_ev.stamp_len));

    /* Bob opens it: the pointer, then the blob, checked against it. */
    OK(sw_session_decrypt(bob, now + 2, att_msg.b, att_msg.len, att_ev.body, sizeof att_ev.body,
                          &att_ev.body_len, &att_ev.info));
    expect_evidence(&att_ev.info, &att_msg);
    sw_attachment_pointer *received = NULL;
    OK(sw_attachment_pointer_parse(att_ev.body, att_ev.body_len, &received));
    uint64_t size = 0;
    OK(sw_attachment_pointer_size(received, &size));
    CHECK(size == sizeof picture);
    OK(sw_attachment_pointer_media_type(received, field, sizeof field, &n));
    CHECK(n == strlen(media) && memcmp(field, media, n) == 0);
    OK(sw_attachment_pointer_locator(received, field, sizeof field, &n));
    CHECK(n == strlen(locator) && memcmp(field, locator, n) == 0);
    uint8_t reencoded[4096];
    OK(sw_attachment_pointer_encode(received, reencoded, sizeof reencoded, &n));
    CHECK(n == att_ev.body_len && memcmp(reencoded, att_ev.body, n) == 0);
    uint8_t *opened = malloc(blob_len);
    CHECK(opened != NULL);
    CHECK_RC(sw_attachment_pointer_decrypt(received, blob, blob_len, opened, 10, &n),
             SW_BUFFER_TOO_SMALL);
    CHECK(n == sizeof picture);
    OK(sw_attachment_pointer_decrypt(received, blob, blob_len, opened, blob_len, &n));
    CHECK(n == sizeof picture && memcmp(opened, picture, n) == 0);
    OK(sw_attachment_pointer_verify(received, picture, sizeof picture));
    CHECK_RC(sw_attachment_pointer_verify(received, picture, sizeof picture - 1),
             SW_ATTACHMENT_MISMATCH);
    blob[100] ^= 1;
    CHECK_RC(sw_attachment_pointer_decrypt(received, blob, blob_len, opened, blob_len, &n),
             SW_ATTACHMENT_MISMATCH);
    CHECK(n == 0);
    blob[100] ^= 1;
    CHECK_RC(sw_attachment_pointer_decrypt(received, blob, 15, opened, blob_len, &n),
             SW_ATTACHMENT_MISMATCH);
    sw_attachment_pointer *not_pointer = NULL;
    CHECK_RC(sw_attachment_pointer_parse(text_ev.body, text_ev.body_len, &not_pointer),
             SW_DECODE_UNSUPPORTED_VERSION);
    CHECK_RC(sw_attachment_pointer_parse(att_ev.body, att_ev.body_len - 1, &not_pointer),
             SW_DECODE_TRUNCATED);
    CHECK(not_pointer == NULL);
    sw_attachment_pointer_free(received);

    /* Bob reports the attachment; the relay checks it against the pointer. */
    report_t att_report = {NULL, 0};
    OK(make_report(&att_ev, bob_id, att_ev.body, att_ev.body_len, opened, sizeof picture,
                   &att_report));
    OK(sw_relay_verify_report(relay, att_report.b, att_report.len, &verified));
    OK(sw_verified_report_info(verified, &ri));
    CHECK(ri.has_attachment && ri.sent_at_ms == now + 2 && ri.routing_timestamp_ms == routed_at + 2);
    uint8_t *reported = malloc(sizeof picture);
    CHECK(reported != NULL);
    n = verified_field(sw_verified_report_attachment, verified, reported, sizeof picture);
    CHECK(n == sizeof picture && memcmp(reported, picture, n) == 0);
    n = verified_field(sw_verified_report_body, verified, field, sizeof field);
    OK(sw_attachment_pointer_parse(field, n, &received));
    OK(sw_attachment_pointer_verify(received, reported, sizeof picture));
    sw_attachment_pointer_free(received);
    sw_verified_report_free(verified);
    free(reported);
    free(att_report.b);
    /* Another picture under the same pointer: refused. */
    opened[0] ^= 1;
    OK(make_report(&att_ev, bob_id, att_ev.body, att_ev.body_len, opened, sizeof picture,
                   &att_report));
    CHECK_RC(sw_relay_verify_report(relay, att_report.b, att_report.len, &refused),
             SW_REPORT_ATTACHMENT_MISMATCH);
    free(att_report.b);
    /* An "attachment" reported with a text message: not an attachment. */
    OK(make_report(&text_ev, bob_id, text_ev.body, text_ev.body_len, picture, sizeof picture,
                   &att_report));
    CHECK_RC(sw_relay_verify_report(relay, att_report.b, att_report.len, &refused),
             SW_REPORT_NOT_AN_ATTACHMENT);
    CHECK(refused == NULL);
    free(att_report.b);
    free(opened);
    free(blob);

    sw_relay_key_free(relay);
    sw_relay_key_free(relay_again);
    sw_relay_key_free(other_relay);
    sw_session_free(alice);
    sw_session_free(bob);
    sw_prekey_store_free(store);
    sw_identity_free(alice_id);
    sw_identity_free(bob_id);
    sw_rng_free(rng);
}

int main(void) {
    party_t alice = {seeded(0xA1), NULL, NULL, NULL};
    party_t bob = {seeded(0xB0), NULL, NULL, NULL};
    OK(sw_identity_new(alice.rng, &alice.id));
    OK(sw_identity_new(NULL, &bob.id)); /* from the OS */
    sw_expiry_queue *queue = NULL;
    OK(sw_expiry_queue_new(&queue));

    test_conversation(&alice, &bob);
    test_bad_messages(&alice, &bob);
    test_wrong_handles(&alice, &bob);
    test_disappearing(&alice, &bob, queue);
    test_save_restore(&alice, &bob, &queue);
    test_safety_numbers(&alice, &bob);
    test_post_quantum();
    test_franking();

    sw_session_free(alice.session);
    sw_session_free(bob.session);
    sw_prekey_store_free(bob.prekeys);
    sw_identity_free(alice.id);
    sw_identity_free(bob.id);
    sw_rng_free(alice.rng);
    sw_rng_free(bob.rng);
    sw_expiry_queue_free(queue);
    printf("test_conversation: %lu checks passed\n", checks_run);
    return 0;
}
