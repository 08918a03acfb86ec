/*
 * Sealed sender through the C API (SPEC.md §22), built with
 * AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer by
 * ffi/ci.sh:
 *
 * - the server's key (from its seed, exported, its public key pinned by
 *   the clients in trusted server keys that are saved and loaded, plain and
 *   sealed) issues certificates; Alice seals to Bob: the relay's bytes hold
 *   no sender identity key, user id or device id (the unsealed prekey
 *   message does hold Alice's identity key), Bob opens, reads the claimed
 *   sender, verifies and decrypts with Alice's device list and his
 *   sessions with her device; Bob replies sealed; size queries;
 * - refused, each with its typed code and Bob's state unchanged (sessions,
 *   prekey store, trusted keys: their saved bytes compared): an expired
 *   certificate, a certificate from a key not pinned and one forged under a
 *   pinned id, a certificate binding another identity key to Alice's
 *   device (sender mismatch), an envelope re-targeted to Carol, an altered
 *   envelope; then the message still decrypts once;
 * - a franked envelope's commitment read by the relay;
 * - a group post for three members sealed once, split by the relay, and
 *   opened and received by each; a member's part re-targeted to another
 *   fails; a post under another member's certificate is a sender mismatch;
 * - access keys: derived, verified in constant time, combined for a
 *   multi-recipient send;
 * - every handle freed (LeakSanitizer checks at exit).
 */
#include "check.h"

#define KEY_LEN 32
#define ALICE_DEVICE 0x5ea1ed01u
#define BOB_DEVICE 0x5ea1ed02u
#define DAY SECONDS(86400)

typedef struct {
    uint8_t b[8192];
    size_t len;
} buf_t;

static const uint8_t STORAGE_KEY[32] = {3, 1, 4, 1, 5, 9, 2, 6};

static sw_rng *rng;

static sw_rng *seeded(uint8_t tag) {
    uint8_t seed[SW_SEED_LEN];
    memset(seed, tag, sizeof seed);
    sw_rng *r = NULL;
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &r));
    return r;
}

static int contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n) {
    for (size_t i = 0; i + n <= hay_len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What identifies Alice's device, as a relay could look for it. */
static void assert_hidden(const uint8_t *bytes, size_t len, const uint8_t key[KEY_LEN],
                          const char *user, uint32_t device) {
    CHECK(!contains(bytes, len, key, KEY_LEN));
    CHECK(!contains(bytes, len, (const uint8_t *)user, strlen(user)));
    uint8_t be[4] = {(uint8_t)(device >> 24), (uint8_t)(device >> 16), (uint8_t)(device >> 8),
                     (uint8_t)device};
    uint8_t le[4] = {be[3], be[2], be[1], be[0]};
    CHECK(!contains(bytes, len, be, 4));
    CHECK(!contains(bytes, len, le, 4));
}

static void public_key(const sw_identity *id, uint8_t out[KEY_LEN]) {
    size_t n = 0;
    OK(sw_identity_public_key(id, out, KEY_LEN, &n));
    CHECK(n == KEY_LEN);
}

static void issue(const sw_server_key *server, const char *user, uint32_t device,
                  const uint8_t key[KEY_LEN], uint64_t expires, buf_t *cert) {
    OK(sw_server_key_issue(server, (const uint8_t *)user, strlen(user), device, key, KEY_LEN,
                           expires, cert->b, sizeof cert->b, &cert->len));
}

/* A device list of one device. */
static sw_device_list *list_of(const char *user, uint32_t device, const uint8_t key[KEY_LEN]) {
    sw_device_list *list = NULL;
    OK(sw_device_list_new((const uint8_t *)user, strlen(user), &list));
    sw_device_entry entry = {.device_id = device};
    memcpy(entry.identity, key, KEY_LEN);
    sw_device_event events[SW_MAX_DEVICE_EVENTS];
    size_t count = 0;
    OK(sw_device_list_update(list, &entry, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 1);
    return list;
}

/* Bob's state, saved: what a refused call must leave byte for byte. */
typedef struct {
    buf_t sessions, store, trusted;
} snapshot_t;

static void snapshot(const sw_device_sessions *s, const sw_prekey_store *p,
                     const sw_trusted_server_keys *t, snapshot_t *out) {
    OK(sw_device_sessions_save(s, out->sessions.b, sizeof out->sessions.b, &out->sessions.len));
    OK(sw_prekey_store_save(p, out->store.b, sizeof out->store.b, &out->store.len));
    OK(sw_trusted_server_keys_save(t, out->trusted.b, sizeof out->trusted.b, &out->trusted.len));
}

static void unchanged(const sw_device_sessions *s, const sw_prekey_store *p,
                      const sw_trusted_server_keys *t, const snapshot_t *before) {
    snapshot_t now;
    snapshot(s, p, t, &now);
    CHECK(now.sessions.len == before->sessions.len &&
          memcmp(now.sessions.b, before->sessions.b, now.sessions.len) == 0);
    CHECK(now.store.len == before->store.len &&
          memcmp(now.store.b, before->store.b, now.store.len) == 0);
    CHECK(now.trusted.len == before->trusted.len &&
          memcmp(now.trusted.b, before->trusted.b, now.trusted.len) == 0);
}

/* Opens `envelope` as `me` and decrypts it with the sender's list and our
 * sessions with it; returns the code of the decrypt (or of the open). */
static sw_result open_and_decrypt(const sw_identity *me, const buf_t *envelope, uint64_t now,
                                  sw_trusted_server_keys *trusted, sw_prekey_store *store,
                                  const sw_device_list *devices, sw_device_sessions *sessions,
                                  buf_t *plain, sw_received_info *info) {
    sw_unsealed *u = NULL;
    sw_result rc = sw_sealed_open(me, envelope->b, envelope->len, &u);
    if (rc != SW_OK) {
        CHECK(u == NULL);
        return rc;
    }
    rc = sw_unsealed_decrypt(u, now, trusted, me, store, devices, sessions, plain->b,
                             sizeof plain->b, &plain->len, info);
    sw_unsealed_free(u);
    return rc;
}

static void one_to_one(void) {
    sw_identity *alice = NULL, *bob = NULL, *carol = NULL, *mallory = NULL;
    OK(sw_identity_new(rng, &alice));
    OK(sw_identity_new(rng, &bob));
    OK(sw_identity_new(rng, &carol));
    OK(sw_identity_new(rng, &mallory));
    uint8_t ka[KEY_LEN], kb[KEY_LEN], kc[KEY_LEN], km[KEY_LEN];
    public_key(alice, ka);
    public_key(bob, kb);
    public_key(carol, kc);
    public_key(mallory, km);

    /* The server's key, from its stored seed. */
    uint8_t server_seed[SW_SERVER_KEY_SEED_LEN];
    memset(server_seed, 0x60, sizeof server_seed);
    sw_server_key *server = NULL, *other_server = NULL, *forger = NULL;
    OK(sw_server_key_from_seed(7, server_seed, sizeof server_seed, &server));
    uint8_t exported[SW_SERVER_KEY_SEED_LEN];
    size_t n = 0;
    OK(sw_server_key_danger_export_seed(server, exported, sizeof exported, &n));
    CHECK(n == SW_SERVER_KEY_SEED_LEN && memcmp(exported, server_seed, n) == 0);
    uint32_t id = 0;
    OK(sw_server_key_id(server, &id));
    CHECK(id == 7);
    OK(sw_server_key_new(rng, 8, &other_server));
    OK(sw_server_key_new(rng, 7, &forger)); /* a forger's key under the pinned id */
    uint8_t pub[SW_SERVER_PUBLIC_KEY_LEN];
    CHECK_RC(sw_server_key_public(server, NULL, 0, &n), SW_BUFFER_TOO_SMALL);
    CHECK(n == SW_SERVER_PUBLIC_KEY_LEN);
    OK(sw_server_key_public(server, pub, sizeof pub, &n));
    OK(sw_server_public_key_id(pub, sizeof pub, &id));
    CHECK(id == 7);
    pub[0] ^= 0xff;
    CHECK_RC(sw_server_public_key_id(pub, sizeof pub, &id), SW_DECODE_UNSUPPORTED_VERSION);
    CHECK(id == 0);
    pub[0] ^= 0xff;

    /* Clients pin it; the pinned set is saved and loaded (plain, sealed). */
    sw_trusted_server_keys *trusted = NULL, *alice_trusted = NULL;
    OK(sw_trusted_server_keys_new(&trusted));
    bool pinned = true;
    OK(sw_trusted_server_keys_contains(trusted, 7, &pinned));
    CHECK(!pinned);
    OK(sw_trusted_server_keys_add(trusted, pub, sizeof pub));
    OK(sw_trusted_server_keys_contains(trusted, 7, &pinned));
    CHECK(pinned);
    CHECK_RC(sw_trusted_server_keys_add(trusted, pub, sizeof pub - 1), SW_DECODE_TRUNCATED);
    buf_t blob;
    OK(sw_trusted_server_keys_save(trusted, blob.b, sizeof blob.b, &blob.len));
    CHECK(blob.len == 6 + 1 + 36 + 16);
    CHECK(blob.b[4] == 0x09 && blob.b[5] == 1);
    sw_trusted_server_keys_free(trusted);
    trusted = NULL;
    OK(sw_trusted_server_keys_load(blob.b, blob.len, &trusted));
    size_t count = 0;
    OK(sw_trusted_server_keys_len(trusted, &count));
    CHECK(count == 1);
    OK(sw_trusted_server_keys_save_sealed(rng, trusted, STORAGE_KEY, 32, &TEST_ADDRESS, blob.b,
                                          sizeof blob.b, &blob.len));
    OK(sw_trusted_server_keys_load_sealed(STORAGE_KEY, 32, &TEST_ADDRESS, blob.b, blob.len,
                                          &alice_trusted));
    sw_blob_address elsewhere = TEST_ADDRESS;
    elsewhere.device_id = 2;
    sw_trusted_server_keys *moved = (sw_trusted_server_keys *)1;
    CHECK_RC(sw_trusted_server_keys_load_sealed(STORAGE_KEY, 32, &elsewhere, blob.b, blob.len,
                                                &moved),
             SW_STATE_WRONG_ADDRESS);
    CHECK(moved == NULL);
    OK(sw_trusted_server_keys_save(trusted, blob.b, sizeof blob.b, &blob.len));
    sw_identity *not_keys = NULL;
    CHECK_RC(sw_identity_load(blob.b, blob.len, &not_keys), SW_STATE_WRONG_KIND);

    /* Certificates: Alice's, Bob's, and the bad ones. */
    buf_t cert_a, cert_b, expiring, untrusted, forged, mallory_as_alice;
    issue(server, "alice", ALICE_DEVICE, ka, T0 + DAY, &cert_a);
    issue(server, "bob", BOB_DEVICE, kb, T0 + DAY, &cert_b);
    issue(server, "alice", ALICE_DEVICE, ka, T0 + SECONDS(60), &expiring);
    issue(other_server, "alice", ALICE_DEVICE, ka, T0 + DAY, &untrusted);
    issue(forger, "alice", ALICE_DEVICE, ka, T0 + DAY, &forged);
    issue(server, "alice", ALICE_DEVICE, km, T0 + DAY, &mallory_as_alice);
    uint8_t user[SW_MAX_USER_ID_LEN];
    sw_sender_certificate_info cinfo;
    OK(sw_sender_certificate_parse(cert_a.b, cert_a.len, user, sizeof user, &n, &cinfo));
    CHECK(n == 5 && memcmp(user, "alice", 5) == 0);
    CHECK(cinfo.server_key_id == 7 && cinfo.device_id == ALICE_DEVICE);
    CHECK(cinfo.expires_at_ms == T0 + DAY && memcmp(cinfo.identity, ka, KEY_LEN) == 0);
    CHECK_RC(sw_server_key_issue(server, (const uint8_t *)"", 0, 1, ka, KEY_LEN, T0, blob.b,
                                 sizeof blob.b, &n),
             SW_DECODE_INVALID_VALUE);
    CHECK_RC(sw_sender_certificate_parse(cert_a.b, cert_a.len - 1, user, sizeof user, &n, &cinfo),
             SW_DECODE_TRUNCATED);
    CHECK(cinfo.server_key_id == 0);

    /* Sessions: Alice starts one with Bob's device from his bundle. */
    sw_prekey_store *bob_store = NULL, *alice_store = NULL, *carol_store = NULL;
    OK(sw_prekey_store_new(rng, bob, &bob_store));
    OK(sw_prekey_store_new(rng, alice, &alice_store));
    OK(sw_prekey_store_new(rng, carol, &carol_store));
    uint8_t bundle[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = 0;
    OK(sw_prekey_store_bundle(bob_store, bob, bundle, sizeof bundle, &bundle_len));
    sw_device_sessions *alice_to_bob = NULL, *bob_from_alice = NULL;
    OK(sw_device_sessions_new(&alice_to_bob));
    OK(sw_device_sessions_new(&bob_from_alice));
    OK(sw_device_sessions_initiate(rng, alice_to_bob, alice, kb, KEY_LEN, bundle, bundle_len));
    sw_device_list *alices = list_of("alice", ALICE_DEVICE, ka);
    sw_device_list *bobs = list_of("bob", BOB_DEVICE, kb);

    /* Alice's first message, unsealed and sealed. */
    buf_t msg, env, plain;
    sw_received_info info;
    OK(sw_device_sessions_encrypt(rng, alice_to_bob, T0, kb, KEY_LEN, SW_CONTENT_USER_MESSAGE, false,
                                  (const uint8_t *)"hello Bob", 9, msg.b, sizeof msg.b, &msg.len));
    /* Unsealed, the relay reads Alice's identity key in the prekey message. */
    CHECK(contains(msg.b, msg.len, ka, KEY_LEN));
    size_t need = 0;
    CHECK_RC(sw_sealed_seal(rng, kb, KEY_LEN, cert_a.b, cert_a.len, msg.b, msg.len, NULL, 0, &need),
             SW_BUFFER_TOO_SMALL);
    CHECK_RC(sw_sealed_seal(rng, kb, KEY_LEN, cert_a.b, cert_a.len, msg.b, msg.len, env.b,
                            need - 1, &n),
             SW_BUFFER_TOO_SMALL);
    CHECK(n == need);
    OK(sw_sealed_seal(rng, kb, KEY_LEN, cert_a.b, cert_a.len, msg.b, msg.len, env.b, sizeof env.b,
                      &env.len));
    CHECK(env.len == need);
    CHECK(env.b[0] == 0x01 && env.b[1] == 0x51);
    /* Sealed, the relay sees nothing of the sender. */
    assert_hidden(env.b, env.len, ka, "alice", ALICE_DEVICE);
    CHECK_RC(sw_sealed_commitment(env.b, env.len, plain.b, sizeof plain.b, &n),
             SW_DECODE_UNEXPECTED_TYPE);

    /* Refusals, each leaving Bob's state as it was. */
    snapshot_t before;
    snapshot(bob_from_alice, bob_store, trusted, &before);
    /* Re-targeted: the envelope for Bob delivered to Carol. */
    sw_unsealed *u = (sw_unsealed *)1;
    CHECK_RC(sw_sealed_open(carol, env.b, env.len, &u), SW_SEALED_AUTHENTICATION_FAILED);
    CHECK(u == NULL);
    /* Altered: any byte of the envelope. */
    for (size_t i = 0; i < env.len; i += 7) {
        env.b[i] ^= 0x20;
        sw_result rc = sw_sealed_open(bob, env.b, env.len, &u);
        CHECK(rc == SW_SEALED_AUTHENTICATION_FAILED || rc == SW_DECODE_UNSUPPORTED_VERSION ||
              rc == SW_DECODE_UNEXPECTED_TYPE);
        CHECK(u == NULL);
        env.b[i] ^= 0x20;
    }
    /* The claimed sender, before anything is verified. */
    OK(sw_sealed_open(bob, env.b, env.len, &u));
    CHECK_RC(sw_unsealed_sender(u, NULL, 0, &n, &id), SW_BUFFER_TOO_SMALL);
    CHECK(n == 5);
    OK(sw_unsealed_sender(u, user, sizeof user, &n, &id));
    CHECK(n == 5 && memcmp(user, "alice", 5) == 0 && id == ALICE_DEVICE);
    size_t inner = 0;
    OK(sw_unsealed_message_len(u, &inner));
    CHECK(inner == msg.len);
    /* Too short a plaintext buffer: a size query, nothing changed. */
    CHECK_RC(sw_unsealed_decrypt(u, T0, trusted, bob, bob_store, alices, bob_from_alice, plain.b,
                                 inner - 1, &n, &info),
             SW_BUFFER_TOO_SMALL);
    CHECK(n == inner);
    /* The wrong device list (Bob's own): the certificate's user is not its. */
    CHECK_RC(sw_unsealed_decrypt(u, T0, trusted, bob, bob_store, bobs, bob_from_alice, plain.b,
                                 sizeof plain.b, &n, &info),
             SW_SEALED_SENDER_MISMATCH);
    /* A handle of another type in the trusted keys' place. */
    CHECK_RC(sw_unsealed_decrypt(u, T0, (sw_trusted_server_keys *)bob_store, bob, bob_store,
                                 alices, bob_from_alice, plain.b, sizeof plain.b, &n, &info),
             SW_INVALID_HANDLE);
    sw_unsealed_free(u);
    unchanged(bob_from_alice, bob_store, trusted, &before);

    /* The same message under the bad certificates. */
    struct {
        const buf_t *cert;
        uint64_t now;
        sw_result want;
    } bad[] = {
        {&expiring, T0 + SECONDS(60), SW_SEALED_CERTIFICATE_EXPIRED},
        {&untrusted, T0, SW_SEALED_UNTRUSTED_SERVER_KEY},
        {&forged, T0, SW_SEALED_BAD_CERTIFICATE_SIGNATURE},
        {&mallory_as_alice, T0, SW_SEALED_SENDER_MISMATCH},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_t e;
        OK(sw_sealed_seal(rng, kb, KEY_LEN, bad[i].cert->b, bad[i].cert->len, msg.b, msg.len, e.b,
                          sizeof e.b, &e.len));
        assert_hidden(e.b, e.len, ka, "alice", ALICE_DEVICE);
        CHECK_RC(open_and_decrypt(bob, &e, bad[i].now, trusted, bob_store, alices, bob_from_alice,
                                  &plain, &info),
                 bad[i].want);
        CHECK(plain.len == 0);
        unchanged(bob_from_alice, bob_store, trusted, &before);
    }
    /* Mallory seals her own session's message under Alice's certificate:
     * the inner prekey message is not Alice's identity. */
    sw_device_sessions *mallory_to_bob = NULL;
    OK(sw_device_sessions_new(&mallory_to_bob));
    OK(sw_prekey_store_bundle(bob_store, bob, bundle, sizeof bundle, &bundle_len));
    OK(sw_device_sessions_initiate(rng, mallory_to_bob, mallory, kb, KEY_LEN, bundle, bundle_len));
    buf_t mm, me;
    OK(sw_device_sessions_encrypt(rng, mallory_to_bob, T0, kb, KEY_LEN, SW_CONTENT_USER_MESSAGE, false,
                                  (const uint8_t *)"it's me, Alice", 14, mm.b, sizeof mm.b,
                                  &mm.len));
    OK(sw_sealed_seal(rng, kb, KEY_LEN, cert_a.b, cert_a.len, mm.b, mm.len, me.b, sizeof me.b,
                      &me.len));
    CHECK_RC(open_and_decrypt(bob, &me, T0, trusted, bob_store, alices, bob_from_alice, &plain,
                              &info),
             SW_SEALED_SENDER_MISMATCH);
    unchanged(bob_from_alice, bob_store, trusted, &before);
    sw_device_sessions_free(mallory_to_bob);

    /* The genuine envelope: Bob reads it, once. */
    OK(open_and_decrypt(bob, &env, T0, trusted, bob_store, alices, bob_from_alice, &plain, &info));
    CHECK(plain.len == 9 && memcmp(plain.b, "hello Bob", 9) == 0);
    CHECK(memcmp(info.sender, ka, KEY_LEN) == 0);
    CHECK(info.content_type == SW_CONTENT_USER_MESSAGE);
    CHECK_RC(open_and_decrypt(bob, &env, T0, trusted, bob_store, alices, bob_from_alice, &plain,
                              &info),
             SW_SESSION_DUPLICATE_MESSAGE);

    /* Bob replies, sealed, franked: Alice reads it; the relay reads only
     * the commitment. */
    OK(sw_device_sessions_encrypt(rng, bob_from_alice, T0, ka, KEY_LEN, SW_CONTENT_USER_MESSAGE, true,
                                  (const uint8_t *)"hi Alice", 8, msg.b, sizeof msg.b, &msg.len));
    OK(sw_sealed_seal(rng, ka, KEY_LEN, cert_b.b, cert_b.len, msg.b, msg.len, env.b, sizeof env.b,
                      &env.len));
    CHECK(env.b[1] == 0xD1);
    assert_hidden(env.b, env.len, kb, "bob", BOB_DEVICE);
    uint8_t cf[32];
    OK(sw_sealed_commitment(env.b, env.len, cf, sizeof cf, &n));
    CHECK(n == 32);
    OK(open_and_decrypt(alice, &env, T0, alice_trusted, alice_store, bobs, alice_to_bob, &plain,
                        &info));
    CHECK(plain.len == 8 && memcmp(plain.b, "hi Alice", 8) == 0);
    CHECK(info.is_franked && memcmp(info.commitment, cf, 32) == 0);

    sw_device_list_free(bobs);
    sw_device_list_free(alices);
    sw_device_sessions_free(bob_from_alice);
    sw_device_sessions_free(alice_to_bob);
    sw_prekey_store_free(carol_store);
    sw_prekey_store_free(alice_store);
    sw_prekey_store_free(bob_store);
    sw_trusted_server_keys_free(alice_trusted);
    sw_trusted_server_keys_free(trusted);
    sw_server_key_free(forger);
    sw_server_key_free(other_server);
    sw_server_key_free(server);
    sw_identity_free(mallory);
    sw_identity_free(carol);
    sw_identity_free(bob);
    sw_identity_free(alice);
}

/* ---- A group post sealed for three members. ---- */

#define M 4 /* Alice (0), the sender, and three members */

static sw_identity *gids[M];
static uint8_t gkeys[M][KEY_LEN];
static sw_session *gsessions[M][M]; /* [x][y]: x's session with y */

static void pair(int x, int y, sw_prekey_store *y_store) {
    uint8_t bundle_bytes[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = 0;
    OK(sw_prekey_store_bundle(y_store, gids[y], bundle_bytes, sizeof bundle_bytes, &bundle_len));
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(bundle_bytes, bundle_len, &bundle));
    OK(sw_session_initiate(rng, gids[x], bundle, &gsessions[x][y]));
    sw_bundle_free(bundle);
    buf_t m, p;
    sw_received_info info;
    OK(sw_session_encrypt(rng, gsessions[x][y], T0, SW_CONTENT_USER_MESSAGE,
                          (const uint8_t *)"hello", 5, m.b, sizeof m.b, &m.len));
    OK(sw_session_accept(gids[y], y_store, T0, m.b, m.len, p.b, sizeof p.b, &p.len, &info,
                         &gsessions[y][x]));
}

static void group_post(void) {
    static const char *names[M] = {"alice", "bob", "carol", "dave"};
    sw_prekey_store *stores[M];
    for (int i = 0; i < M; i++) {
        OK(sw_identity_new(rng, &gids[i]));
        public_key(gids[i], gkeys[i]);
        OK(sw_prekey_store_new(rng, gids[i], &stores[i]));
    }
    for (int y = 1; y < M; y++) {
        pair(0, y, stores[y]);
    }
    sw_server_key *server = NULL;
    OK(sw_server_key_new(rng, 1, &server));
    uint8_t pub[SW_SERVER_PUBLIC_KEY_LEN];
    size_t n = 0;
    OK(sw_server_key_public(server, pub, sizeof pub, &n));
    buf_t cert_a, cert_b;
    issue(server, names[0], ALICE_DEVICE, gkeys[0], T0 + DAY, &cert_a);
    issue(server, names[1], BOB_DEVICE, gkeys[1], T0 + DAY, &cert_b);

    /* The group: Alice's chain distributed to each member. */
    uint8_t gid[SW_GROUP_ID_LEN];
    OK(sw_group_id_random(rng, gid, sizeof gid, &n));
    sw_group *groups[M];
    sw_distribution *alices_chain = NULL;
    for (int i = M - 1; i >= 0; i--) {
        uint8_t others[(M - 1) * KEY_LEN];
        int k = 0;
        for (int j = 0; j < M; j++) {
            if (j != i) {
                memcpy(others + KEY_LEN * k++, gkeys[j], KEY_LEN);
            }
        }
        sw_distribution *d = NULL;
        OK(sw_group_create(rng, T0, gid, sizeof gid, gkeys[i], KEY_LEN, others, sizeof others,
                           &groups[i], &d));
        if (i == 0) {
            alices_chain = d;
        } else {
            sw_distribution_free(d); /* only Alice posts here */
        }
    }
    for (int y = 1; y < M; y++) {
        buf_t m, body;
        sw_received_info info;
        OK(sw_distribution_encrypt_for(rng, alices_chain, gsessions[0][y], T0, m.b, sizeof m.b,
                                       &m.len));
        OK(sw_session_decrypt(gsessions[y][0], T0, m.b, m.len, body.b, sizeof body.b, &body.len,
                              &info));
        bool fresh = false;
        OK(sw_group_accept_distribution(groups[y], gsessions[y][0], T0, &fresh));
        CHECK(fresh);
    }
    sw_distribution_free(alices_chain);

    /* Alice posts once and seals it once for the three members. */
    buf_t post, multi;
    sw_distribution *rotation = NULL;
    OK(sw_group_post(rng, groups[0], T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"to all", 6,
                     post.b, sizeof post.b, &post.len, &rotation));
    CHECK(rotation == NULL);
    uint8_t recipients[(M - 1) * KEY_LEN];
    for (int y = 1; y < M; y++) {
        memcpy(recipients + KEY_LEN * (y - 1), gkeys[y], KEY_LEN);
    }
    size_t need = 0;
    CHECK_RC(sw_sealed_seal_post(rng, recipients, sizeof recipients, cert_a.b, cert_a.len, post.b,
                                 post.len, NULL, 0, &need),
             SW_BUFFER_TOO_SMALL);
    OK(sw_sealed_seal_post(rng, recipients, sizeof recipients, cert_a.b, cert_a.len, post.b,
                           post.len, multi.b, sizeof multi.b, &multi.len));
    CHECK(multi.len == need);
    /* The same key twice, or none: refused before anything is drawn. */
    uint8_t twice[2 * KEY_LEN];
    memcpy(twice, gkeys[1], KEY_LEN);
    memcpy(twice + KEY_LEN, gkeys[1], KEY_LEN);
    CHECK_RC(sw_sealed_seal_post(rng, twice, sizeof twice, cert_a.b, cert_a.len, post.b, post.len,
                                 NULL, 0, &n),
             SW_SEALED_INVALID_RECIPIENTS);
    CHECK_RC(sw_sealed_seal_post(rng, twice, 0, cert_a.b, cert_a.len, post.b, post.len, NULL, 0,
                                 &n),
             SW_SEALED_INVALID_RECIPIENTS);
    CHECK_RC(sw_sealed_seal_post(rng, twice, KEY_LEN + 1, cert_a.b, cert_a.len, post.b, post.len,
                                 NULL, 0, &n),
             SW_INVALID_ARGUMENT);
    assert_hidden(multi.b, multi.len, gkeys[0], names[0], ALICE_DEVICE);

    /* The relay splits it; each member opens and receives its part. */
    size_t count = 0;
    OK(sw_multi_recipient_count(multi.b, multi.len, &count));
    CHECK(count == M - 1);
    buf_t parts[M - 1];
    for (size_t i = 0; i < count; i++) {
        uint8_t key[KEY_LEN];
        OK(sw_multi_recipient_recipient(multi.b, multi.len, i, key, sizeof key, &n));
        CHECK(n == KEY_LEN && memcmp(key, gkeys[i + 1], KEY_LEN) == 0);
        OK(sw_multi_recipient_part(multi.b, multi.len, i, parts[i].b, sizeof parts[i].b,
                                   &parts[i].len));
        assert_hidden(parts[i].b, parts[i].len, gkeys[0], names[0], ALICE_DEVICE);
    }
    CHECK_RC(sw_multi_recipient_part(multi.b, multi.len, count, NULL, 0, &n), SW_INVALID_ARGUMENT);
    CHECK_RC(sw_multi_recipient_count(multi.b, 36 + 200, &n), SW_DECODE_TRUNCATED);
    sw_device_list *alices = list_of(names[0], ALICE_DEVICE, gkeys[0]);
    for (size_t i = 0; i < count; i++) {
        int me = (int)i + 1;
        sw_trusted_server_keys *trusted = NULL;
        OK(sw_trusted_server_keys_new(&trusted));
        OK(sw_trusted_server_keys_add(trusted, pub, sizeof pub));
        /* Another member's part does not open here. */
        sw_unsealed_post *opened = NULL;
        CHECK_RC(sw_sealed_open_post(gids[me], parts[(i + 1) % count].b,
                                     parts[(i + 1) % count].len, &opened),
                 SW_SEALED_AUTHENTICATION_FAILED);
        OK(sw_sealed_open_post(gids[me], parts[i].b, parts[i].len, &opened));
        uint8_t user[SW_MAX_USER_ID_LEN], routed[SW_GROUP_ID_LEN];
        uint32_t device = 0;
        OK(sw_unsealed_post_sender(opened, user, sizeof user, &n, &device));
        CHECK(n == 5 && memcmp(user, "alice", 5) == 0 && device == ALICE_DEVICE);
        OK(sw_unsealed_post_group_id(opened, routed, sizeof routed, &n));
        CHECK(n == SW_GROUP_ID_LEN && memcmp(routed, gid, n) == 0);
        size_t post_len = 0;
        OK(sw_unsealed_post_len(opened, &post_len));
        CHECK(post_len == post.len);
        buf_t plain;
        sw_group_received_info info;
        OK(sw_unsealed_post_receive(opened, T0, trusted, alices, groups[me], plain.b,
                                    sizeof plain.b, &plain.len, &info));
        CHECK(plain.len == 6 && memcmp(plain.b, "to all", 6) == 0);
        CHECK(memcmp(info.sender, gkeys[0], KEY_LEN) == 0);
        CHECK_RC(sw_unsealed_post_receive(opened, T0, trusted, alices, groups[me], plain.b,
                                          sizeof plain.b, &plain.len, &info),
                 SW_GROUP_DUPLICATE_POST);
        sw_unsealed_post_free(opened);
        sw_trusted_server_keys_free(trusted);
    }

    /* Bob seals Alice's next post under his own certificate: a sender
     * mismatch at Carol's, before anything is decrypted; her group
     * unchanged. */
    OK(sw_group_post(rng, groups[0], T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"again", 5,
                     post.b, sizeof post.b, &post.len, &rotation));
    OK(sw_sealed_seal_post(rng, gkeys[2], KEY_LEN, cert_b.b, cert_b.len, post.b, post.len,
                           multi.b, sizeof multi.b, &multi.len));
    OK(sw_multi_recipient_part(multi.b, multi.len, 0, parts[0].b, sizeof parts[0].b,
                               &parts[0].len));
    sw_unsealed_post *opened = NULL;
    OK(sw_sealed_open_post(gids[2], parts[0].b, parts[0].len, &opened));
    sw_device_list *bobs = list_of(names[1], BOB_DEVICE, gkeys[1]);
    sw_trusted_server_keys *trusted = NULL;
    OK(sw_trusted_server_keys_new(&trusted));
    OK(sw_trusted_server_keys_add(trusted, pub, sizeof pub));
    buf_t g_before, g_after, plain;
    OK(sw_group_save(groups[2], g_before.b, sizeof g_before.b, &g_before.len));
    sw_group_received_info info;
    CHECK_RC(sw_unsealed_post_receive(opened, T0, trusted, bobs, groups[2], plain.b,
                                      sizeof plain.b, &plain.len, &info),
             SW_SEALED_SENDER_MISMATCH);
    OK(sw_group_save(groups[2], g_after.b, sizeof g_after.b, &g_after.len));
    CHECK(g_before.len == g_after.len && memcmp(g_before.b, g_after.b, g_after.len) == 0);
    sw_unsealed_post_free(opened);
    sw_trusted_server_keys_free(trusted);
    sw_device_list_free(bobs);
    sw_device_list_free(alices);

    for (int i = 0; i < M; i++) {
        for (int j = 0; j < M; j++) {
            sw_session_free(gsessions[i][j]);
        }
        sw_group_free(groups[i]);
        sw_prekey_store_free(stores[i]);
        sw_identity_free(gids[i]);
    }
    sw_server_key_free(server);
}

static void access_keys(void) {
    sw_profile_key *bob = NULL, *carol = NULL, *again = NULL;
    OK(sw_profile_key_new(rng, &bob));
    OK(sw_profile_key_new(rng, &carol));
    uint8_t raw[SW_PROFILE_KEY_LEN], kb[SW_ACCESS_KEY_LEN], kc[SW_ACCESS_KEY_LEN],
        again_key[SW_ACCESS_KEY_LEN];
    size_t n = 0;
    OK(sw_profile_key_danger_export(bob, raw, sizeof raw, &n));
    OK(sw_profile_key_from_bytes(raw, sizeof raw, &again));
    OK(sw_profile_key_access_key(bob, kb, sizeof kb, &n));
    CHECK(n == SW_ACCESS_KEY_LEN);
    OK(sw_profile_key_access_key(again, again_key, sizeof again_key, &n));
    CHECK(memcmp(kb, again_key, sizeof kb) == 0);
    OK(sw_profile_key_access_key(carol, kc, sizeof kc, &n));
    bool valid = false;
    OK(sw_access_key_verify(kb, sizeof kb, kb, sizeof kb, &valid));
    CHECK(valid);
    OK(sw_access_key_verify(kb, sizeof kb, kc, sizeof kc, &valid));
    CHECK(!valid);
    OK(sw_access_key_verify(kb, sizeof kb, kb, sizeof kb - 1, &valid));
    CHECK(!valid);
    CHECK_RC(sw_access_key_verify(kb, sizeof kb - 1, kb, sizeof kb, &valid), SW_INVALID_ARGUMENT);
    uint8_t both[2 * SW_ACCESS_KEY_LEN], combined[SW_ACCESS_KEY_LEN];
    memcpy(both, kb, SW_ACCESS_KEY_LEN);
    memcpy(both + SW_ACCESS_KEY_LEN, kc, SW_ACCESS_KEY_LEN);
    OK(sw_access_key_combine(both, sizeof both, combined, sizeof combined, &n));
    for (size_t i = 0; i < SW_ACCESS_KEY_LEN; i++) {
        CHECK(combined[i] == (uint8_t)(kb[i] ^ kc[i]));
    }
    CHECK_RC(sw_access_key_combine(both, 0, combined, sizeof combined, &n), SW_INVALID_ARGUMENT);
    CHECK_RC(sw_access_key_combine(both, 17, combined, sizeof combined, &n), SW_INVALID_ARGUMENT);
    CHECK_RC(sw_access_key_combine(both, sizeof both, both, sizeof both, &n), SW_INVALID_ARGUMENT);
    sw_profile_key_free(again);
    sw_profile_key_free(carol);
    sw_profile_key_free(bob);
}

int main(void) {
    rng = seeded(0x53);
    one_to_one();
    group_post();
    access_keys();
    sw_rng_free(rng);
    printf("test_sealed: %lu checks passed\n", checks_run);
    return 0;
}
