/*
 * Groups and broadcast channels through the C API, built with
 * AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer by
 * ffi/ci.sh:
 *
 * - a 3-member group over real 1:1 sessions: every distribution encrypted
 *   over the sender's session with each recipient
 *   (sw_distribution_encrypt_for), decrypted with sw_session_decrypt (content
 *   type SW_CONTENT_GROUP_KEY_DISTRIBUTION: the session keeps it), routed by
 *   its group id and accepted from the session, once
 *   (SW_GROUP_NO_DISTRIBUTION afterwards); a refused distribution stays
 *   pending, the caller never names a sender;
 * - posts received out of order, a replay, size queries, a post header
 *   parsed for routing;
 * - tampered and foreign posts refused with their codes, the receiver
 *   unchanged (its saved state byte for byte);
 * - a member removed: the chains rotate, the removed member's receive fails
 *   (SW_GROUP_UNKNOWN_CHAIN), a distribution never goes to a non-recipient
 *   (SW_SESSION_MISMATCH); membership errors; re-adding;
 * - rotation policy (a post that brings a rotation), explicit rotation, a
 *   timer change post and a post that disappears;
 * - a channel owner and its subscribers (add, remove, posts);
 * - state saved and restored (plain and sealed) for the three handles;
 * - retention: skipped post keys and superseded chains erased on schedule
 *   (SW_GROUP_MESSAGE_KEY_EVICTED, SW_GROUP_UNKNOWN_CHAIN afterwards, the
 *   receiver unchanged), before any explicit erasure too;
 * - every handle freed (LeakSanitizer checks at exit).
 */
#include "check.h"

#define N 3 /* group members: A, B, C */
#define KEY_LEN 32
#define ANY UINT32_MAX /* any iteration */

typedef struct {
    uint8_t b[4096];
    size_t len;
} buf_t;

static const uint8_t STORAGE_KEY[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

static sw_rng *rng;
static sw_identity *ids[N];
static uint8_t keys[N][KEY_LEN];
/* sessions[x][y]: x's session with y (NULL on the diagonal). */
static sw_session *sessions[N][N];
static uint8_t gid[SW_GROUP_ID_LEN];

static sw_rng *seeded(uint8_t tag) {
    uint8_t seed[SW_SEED_LEN];
    memset(seed, tag, sizeof seed);
    sw_rng *r = NULL;
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &r));
    return r;
}

/* A full handshake between x and y: x initiates with y's bundle, y accepts
 * x's first message, x decrypts y's reply: both sessions established. */
static void pair(int x, int y, sw_prekey_store *y_store) {
    uint8_t bundle_bytes[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = 0;
    OK(sw_prekey_store_bundle(y_store, ids[y], bundle_bytes, sizeof bundle_bytes, &bundle_len));
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(bundle_bytes, bundle_len, &bundle));
    OK(sw_session_initiate(rng, ids[x], bundle, &sessions[x][y]));
    sw_bundle_free(bundle);
    buf_t m, p;
    sw_received_info info;
    OK(sw_session_encrypt(rng, sessions[x][y], T0, SW_CONTENT_USER_MESSAGE,
                          (const uint8_t *)"hello", 5, m.b, sizeof m.b, &m.len));
    OK(sw_session_accept(ids[y], y_store, T0, m.b, m.len, p.b, sizeof p.b, &p.len, &info,
                         &sessions[y][x]));
    OK(sw_session_encrypt(rng, sessions[y][x], T0, SW_CONTENT_USER_MESSAGE,
                          (const uint8_t *)"reply", 5, m.b, sizeof m.b, &m.len));
    OK(sw_session_decrypt(sessions[x][y], T0, m.b, m.len, p.b, sizeof p.b, &p.len, &info));
    bool established = false;
    OK(sw_session_is_established(sessions[x][y], &established));
    CHECK(established);
}

/* Sends `d` (a distribution from `from`) to member `to` over their 1:1
 * sessions and returns the decrypted body (for routing). The distribution is
 * then pending in `sessions[to][from]`, for an `_accept_distribution`. */
static void transmit(const sw_distribution *d, int from, int to, buf_t *body) {
    size_t need = 0;
    OK(sw_distribution_encrypted_len(d, sessions[from][to], &need));
    buf_t m;
    /* Size query first: nothing changes. */
    CHECK_RC(sw_distribution_encrypt_for(rng, d, sessions[from][to], T0, NULL, 0, &m.len),
             SW_BUFFER_TOO_SMALL);
    CHECK(m.len == need);
    OK(sw_distribution_encrypt_for(rng, d, sessions[from][to], T0, m.b, sizeof m.b, &m.len));
    CHECK(m.len == need);
    sw_received_info info;
    OK(sw_session_decrypt(sessions[to][from], T0, m.b, m.len, body->b, sizeof body->b,
                          &body->len, &info));
    CHECK(info.content_type == SW_CONTENT_GROUP_KEY_DISTRIBUTION);
    CHECK(memcmp(info.sender, keys[from], KEY_LEN) == 0);
    CHECK(body->len == SW_DISTRIBUTION_LEN);
    uint8_t routed[SW_GROUP_ID_LEN];
    size_t routed_len = 0;
    OK(sw_distribution_group_id(body->b, body->len, routed, sizeof routed, &routed_len));
    CHECK(routed_len == SW_GROUP_ID_LEN);
}

/* Delivers a group distribution from `from` to every recipient's group. */
static void deliver(const sw_distribution *d, int from, sw_group *groups[N]) {
    CHECK(d != NULL);
    size_t count = 0;
    OK(sw_distribution_recipient_count(d, &count));
    for (int to = 0; to < N; to++) {
        bool is = false;
        OK(sw_distribution_is_recipient(d, keys[to], KEY_LEN, &is));
        if (!is) {
            continue;
        }
        count--;
        buf_t body;
        transmit(d, from, to, &body);
        bool fresh = false;
        OK(sw_group_accept_distribution(groups[to], sessions[to][from], T0, &fresh));
        CHECK(fresh);
        /* Taken: a second accept finds none, and changes nothing. */
        fresh = true;
        CHECK_RC(sw_group_accept_distribution(groups[to], sessions[to][from], T0, &fresh),
                 SW_GROUP_NO_DISTRIBUTION);
        CHECK(!fresh);
        /* The same distribution sent again: already held. */
        transmit(d, from, to, &body);
        OK(sw_group_accept_distribution(groups[to], sessions[to][from], T0, &fresh));
        CHECK(!fresh);
    }
    CHECK(count == 0);
}

static void post(sw_group *g, const char *text, buf_t *out) {
    size_t need = 0;
    OK(sw_group_post_len(g, strlen(text), &need));
    sw_distribution *rotation = (sw_distribution *)1;
    OK(sw_group_post(rng, g, T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)text, strlen(text),
                     out->b, sizeof out->b, &out->len, &rotation));
    CHECK(out->len == need);
    CHECK(rotation == NULL);
}

static void expect_post(sw_group *g, const buf_t *p, const char *text, int sender,
                        uint32_t iteration) {
    buf_t plain;
    sw_group_received_info info;
    OK(sw_group_receive_post(g, T0, p->b, p->len, plain.b, sizeof plain.b, &plain.len, &info));
    CHECK(plain.len == strlen(text));
    CHECK(memcmp(plain.b, text, plain.len) == 0);
    CHECK(memcmp(info.sender, keys[sender], KEY_LEN) == 0);
    CHECK(iteration == ANY || info.iteration == iteration);
    CHECK(info.content_type == SW_CONTENT_USER_MESSAGE);
    CHECK(info.sent_at_ms == T0);
    CHECK(!info.timer_changed);
}

/* Receives the third post of A and checks that it does not disappear. */
static bool info_never(sw_group *g, const buf_t *p) {
    buf_t plain;
    sw_group_received_info info;
    OK(sw_group_receive_post(g, T0, p->b, p->len, plain.b, sizeof plain.b, &plain.len, &info));
    CHECK(plain.len == 5 && memcmp(plain.b, "three", 5) == 0 && info.iteration == 2);
    CHECK(info.expiry == SW_MESSAGE_EXPIRY_NEVER && info.expiry_ms == 0);
    return true;
}

/* A group's plain state blob (malloc'd), through a size query. */
static uint8_t *group_blob(const sw_group *g, size_t *len) {
    size_t need = 0;
    CHECK_RC(sw_group_save(g, NULL, 0, &need), SW_BUFFER_TOO_SMALL);
    uint8_t *b = malloc(need);
    CHECK(b != NULL);
    OK(sw_group_save(g, b, need, len));
    CHECK(*len == need);
    return b;
}

/* Whether the group's saved state is still `before`. */
static void expect_unchanged(const sw_group *g, const uint8_t *before, size_t before_len) {
    size_t len = 0;
    uint8_t *now = group_blob(g, &len);
    CHECK(len == before_len && memcmp(now, before, len) == 0);
    free(now);
}

/* Receives `p` at `now` and expects `want`: no plaintext left behind, `g`
 * byte for byte as it was. */
static void refused_at(sw_group *g, uint64_t now, const buf_t *p, sw_result want) {
    size_t before_len = 0;
    uint8_t *before = group_blob(g, &before_len);
    buf_t plain;
    sw_group_received_info info;
    CHECK_RC(sw_group_receive_post(g, now, p->b, p->len, plain.b, sizeof plain.b, &plain.len,
                                   &info),
             want);
    CHECK(plain.len == 0);
    for (size_t i = 0; i < p->len; i++) {
        CHECK(plain.b[i] == 0); /* no plaintext left behind */
    }
    expect_unchanged(g, before, before_len);
    free(before);
}

static void expect_refused(sw_group *g, const buf_t *p, sw_result want) {
    refused_at(g, T0, p, want);
}

static void test_group(void) {
    sw_group *groups[N] = {NULL};
    sw_distribution *first[N] = {NULL};
    sw_distribution *d = NULL;

    /* Each member creates its side with the others as members. */
    for (int x = 0; x < N; x++) {
        uint8_t others[(N - 1) * KEY_LEN];
        size_t n = 0;
        for (int y = 0; y < N; y++) {
            if (y != x) {
                memcpy(others + n, keys[y], KEY_LEN);
                n += KEY_LEN;
            }
        }
        OK(sw_group_create(rng, T0, gid, sizeof gid, keys[x], KEY_LEN, others, n, &groups[x],
                           &d));
        CHECK(groups[x] != NULL);
        size_t count = 0;
        OK(sw_distribution_recipient_count(d, &count));
        CHECK(count == N - 1);
        uint8_t rec[(N - 1) * KEY_LEN];
        size_t rec_len = 0;
        CHECK_RC(sw_distribution_recipients(d, NULL, 0, &rec_len), SW_BUFFER_TOO_SMALL);
        CHECK(rec_len == sizeof rec);
        OK(sw_distribution_recipients(d, rec, sizeof rec, &rec_len));
        CHECK(memcmp(rec, keys[x], KEY_LEN) != 0 && memcmp(rec + KEY_LEN, keys[x], KEY_LEN) != 0);
        bool is = true;
        OK(sw_distribution_is_recipient(d, keys[x], KEY_LEN, &is));
        CHECK(!is);
        first[x] = d;
        d = NULL;
    }
    /* Once every member has its side, each distribution goes out. */
    for (int x = 0; x < N; x++) {
        deliver(first[x], x, groups);
        sw_distribution_free(first[x]);
    }

    /* A group of one: nothing to distribute. */
    sw_group *alone = NULL;
    d = (sw_distribution *)1;
    OK(sw_group_create(rng, T0, gid, sizeof gid, keys[0], KEY_LEN, NULL, 0, &alone, &d));
    CHECK(alone != NULL && d == NULL);
    sw_group_free(alone);
    /* Bad inputs to create. */
    sw_group *bad = (sw_group *)1;
    CHECK_RC(sw_group_create(rng, T0, gid, sizeof gid, keys[0], KEY_LEN, keys[1], KEY_LEN - 1,
                             &bad, &d),
             SW_INVALID_ARGUMENT);
    CHECK(bad == NULL && d == NULL);
    CHECK_RC(sw_group_create(rng, T0, gid, sizeof gid, keys[0], KEY_LEN, keys[0], KEY_LEN, &bad,
                             &d),
             SW_GROUP_IS_SELF);
    uint8_t twice[2 * KEY_LEN];
    memcpy(twice, keys[1], KEY_LEN);
    memcpy(twice + KEY_LEN, keys[1], KEY_LEN);
    CHECK_RC(sw_group_create(rng, T0, gid, sizeof gid, keys[0], KEY_LEN, twice, sizeof twice,
                             &bad, &d),
             SW_GROUP_ALREADY_MEMBER);
    CHECK_RC(sw_group_create(rng, T0, gid, SW_GROUP_ID_LEN - 1, keys[0], KEY_LEN, NULL, 0, &bad,
                             &d),
             SW_INVALID_ARGUMENT);
    CHECK(bad == NULL);

    /* A posts three times; B gets them out of order, C in order. */
    buf_t p[3];
    post(groups[0], "one", &p[0]);
    post(groups[0], "two", &p[1]);
    post(groups[0], "three", &p[2]);
    sw_post_header header;
    OK(sw_post_header_parse(p[1].b, p[1].len, &header));
    CHECK(memcmp(header.group_id, gid, sizeof gid) == 0);
    CHECK(header.iteration == 1);
    CHECK(info_never(groups[1], &p[2]));
    expect_post(groups[1], &p[0], "one", 0, 0);
    expect_post(groups[1], &p[1], "two", 0, 1);
    for (int i = 0; i < 3; i++) {
        expect_post(groups[2], &p[i], i == 0 ? "one" : i == 1 ? "two" : "three", 0, (uint32_t)i);
    }
    /* A replay. */
    expect_refused(groups[1], &p[1], SW_GROUP_DUPLICATE_POST);
    /* B and C post too. */
    buf_t q;
    post(groups[1], "from B", &q);
    expect_post(groups[0], &q, "from B", 1, 0);
    expect_post(groups[2], &q, "from B", 1, 0);
    post(groups[2], "from C", &q);
    expect_post(groups[0], &q, "from C", 2, 0);
    expect_post(groups[1], &q, "from C", 2, 0);

    /* Size queries and short buffers change nothing. */
    size_t blob_len = 0;
    uint8_t *before_a = group_blob(groups[0], &blob_len);
    size_t need = 0;
    sw_distribution *rotation = NULL;
    CHECK_RC(sw_group_post(rng, groups[0], T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"x", 1,
                           NULL, 0, &need, &rotation),
             SW_BUFFER_TOO_SMALL);
    size_t post_need = 0;
    OK(sw_group_post_len(groups[0], 1, &post_need));
    CHECK(need == post_need && rotation == NULL);
    CHECK_RC(sw_group_post(rng, groups[0], T0, SW_CONTENT_TIMER_CHANGE, (const uint8_t *)"x", 1,
                           q.b, sizeof q.b, &need, &rotation),
             SW_INVALID_ARGUMENT);
    CHECK_RC(sw_group_post(rng, groups[0], T0, SW_CONTENT_GROUP_KEY_DISTRIBUTION,
                           (const uint8_t *)"x", 1, q.b, sizeof q.b, &need, &rotation),
             SW_INVALID_ARGUMENT);
    /* Overlapping body and buffer. */
    CHECK_RC(sw_group_post(rng, groups[0], T0, SW_CONTENT_USER_MESSAGE, q.b, 4, q.b + 2,
                           sizeof q.b - 2, &need, &rotation),
             SW_INVALID_ARGUMENT);
    expect_unchanged(groups[0], before_a, blob_len);
    free(before_a);

    /* Forged, tampered and foreign posts: refused, B unchanged. */
    buf_t good;
    post(groups[0], "four", &good);
    uint8_t *before_b = group_blob(groups[1], &blob_len);
    buf_t t = good;
    t.b[SW_POST_HEADER_LEN + 3] ^= 0x01; /* ciphertext: the signature covers it */
    expect_refused(groups[1], &t, SW_GROUP_BAD_SIGNATURE);
    t = good;
    t.b[t.len - 1] ^= 0x80; /* signature */
    expect_refused(groups[1], &t, SW_GROUP_BAD_SIGNATURE);
    t = good;
    t.b[t.len - 64 - 1] ^= 0x01; /* AEAD tag */
    expect_refused(groups[1], &t, SW_GROUP_BAD_SIGNATURE);
    t = good;
    t.b[2] ^= 0x01; /* group id */
    expect_refused(groups[1], &t, SW_GROUP_WRONG_GROUP);
    t = good;
    t.b[18] ^= 0x01; /* chain id */
    expect_refused(groups[1], &t, SW_GROUP_UNKNOWN_CHAIN);
    t = good;
    t.b[25] ^= 0x01; /* iteration: the signature covers the header */
    expect_refused(groups[1], &t, SW_GROUP_BAD_SIGNATURE);
    t = good;
    t.len = SW_MIN_POST_LEN - 1;
    expect_refused(groups[1], &t, SW_DECODE_TRUNCATED);
    t = good;
    t.b[0] = 0x7f;
    expect_refused(groups[1], &t, SW_DECODE_UNSUPPORTED_VERSION);
    buf_t plain;
    sw_group_received_info info;
    CHECK_RC(sw_group_receive_post(groups[1], T0, good.b, good.len, plain.b, good.len - 1,
                                   &plain.len, &info),
             SW_BUFFER_TOO_SMALL);
    CHECK(plain.len == good.len);
    /* C's new chain, pending in B's session with C. Offered through
     * another session (B's with A, which holds none: the caller cannot
     * lend C's chain A's name), through the wrong handles, to a channel of
     * the same id: refused, B unchanged, the distribution still pending. */
    buf_t body;
    sw_distribution *extra = NULL;
    OK(sw_group_rotate(rng, groups[2], T0, &extra));
    transmit(extra, 2, 1, &body);
    bool fresh = true;
    CHECK_RC(sw_group_accept_distribution(groups[1], sessions[1][0], T0, &fresh),
             SW_GROUP_NO_DISTRIBUTION);
    CHECK(!fresh);
    CHECK_RC(sw_group_accept_distribution(groups[1], (sw_session *)groups[0], T0, &fresh),
             SW_INVALID_HANDLE);
    CHECK_RC(sw_group_accept_distribution((sw_group *)sessions[1][2], sessions[1][2], T0, &fresh),
             SW_INVALID_HANDLE);
    sw_channel_subscriber *same_id = NULL;
    OK(sw_channel_subscriber_new(gid, sizeof gid, keys[1], KEY_LEN, keys[2], KEY_LEN, &same_id));
    CHECK_RC(sw_channel_subscriber_accept_distribution(same_id, sessions[1][2], T0, &fresh),
             SW_GROUP_MODE_MISMATCH);
    sw_channel_subscriber_free(same_id);
    /* A user message from C in between leaves it pending. */
    buf_t m1, p1;
    sw_received_info info1;
    OK(sw_session_encrypt(rng, sessions[2][1], T0, SW_CONTENT_USER_MESSAGE,
                          (const uint8_t *)"hi B", 4, m1.b, sizeof m1.b, &m1.len));
    OK(sw_session_decrypt(sessions[1][2], T0, m1.b, m1.len, p1.b, sizeof p1.b, &p1.len, &info1));
    CHECK(info1.content_type == SW_CONTENT_USER_MESSAGE);
    expect_unchanged(groups[1], before_b, blob_len);
    free(before_b);
    OK(sw_group_accept_distribution(groups[1], sessions[1][2], T0, &fresh));
    CHECK(fresh);
    transmit(extra, 2, 0, &body);
    OK(sw_group_accept_distribution(groups[0], sessions[0][2], T0, &fresh));
    sw_distribution_free(extra);
    expect_post(groups[1], &good, "four", 0, 3);
    expect_post(groups[2], &good, "four", 0, 3);

    /* Membership errors. */
    d = (sw_distribution *)1;
    CHECK_RC(sw_group_add_member(groups[0], keys[1], KEY_LEN, &d), SW_GROUP_ALREADY_MEMBER);
    CHECK(d == NULL);
    CHECK_RC(sw_group_add_member(groups[0], keys[0], KEY_LEN, &d), SW_GROUP_IS_SELF);
    CHECK_RC(sw_group_add_member(groups[0], keys[1], KEY_LEN - 1, &d), SW_INVALID_ARGUMENT);
    uint8_t not_a_key[KEY_LEN];
    memset(not_a_key, 0xff, sizeof not_a_key);
    CHECK_RC(sw_group_add_member(groups[0], not_a_key, KEY_LEN, &d), SW_DECODE_INVALID_KEY);

    /* C is removed: A and B rotate; C can no longer read. */
    size_t holders = 0;
    OK(sw_group_current_holder_count(groups[0], &holders));
    CHECK(holders == 2);
    OK(sw_group_remove_member(rng, groups[0], T0, keys[2], KEY_LEN, &d));
    size_t count = 0;
    OK(sw_distribution_recipient_count(d, &count));
    CHECK(count == 1);
    buf_t m;
    CHECK_RC(sw_distribution_encrypt_for(rng, d, sessions[0][2], T0, m.b, sizeof m.b, &m.len),
             SW_SESSION_MISMATCH);
    CHECK(m.len == 0);
    deliver(d, 0, groups);
    sw_distribution_free(d);
    CHECK_RC(sw_group_remove_member(rng, groups[0], T0, keys[2], KEY_LEN, &d),
             SW_GROUP_UNKNOWN_MEMBER);
    CHECK(d == NULL);
    OK(sw_group_remove_member(rng, groups[1], T0, keys[2], KEY_LEN, &d));
    deliver(d, 1, groups);
    sw_distribution_free(d);
    OK(sw_group_current_holder_count(groups[0], &holders));
    CHECK(holders == 1);
    uint8_t holder_keys[2 * KEY_LEN];
    size_t holder_len = 0;
    OK(sw_group_current_holders(groups[0], holder_keys, sizeof holder_keys, &holder_len));
    CHECK(holder_len == KEY_LEN && memcmp(holder_keys, keys[1], KEY_LEN) == 0);

    buf_t after;
    post(groups[0], "without C", &after);
    expect_post(groups[1], &after, "without C", 0, 0);
    uint8_t *before_c = group_blob(groups[2], &blob_len);
    expect_refused(groups[2], &after, SW_GROUP_UNKNOWN_CHAIN);
    expect_unchanged(groups[2], before_c, blob_len);
    free(before_c);
    /* C's own posts are no longer accepted by A either. */
    post(groups[2], "still here?", &q);
    expect_refused(groups[0], &q, SW_GROUP_UNKNOWN_CHAIN);

    /* C is added back by A: A's current chain, for C alone. */
    OK(sw_group_add_member(groups[0], keys[2], KEY_LEN, &d));
    OK(sw_distribution_recipient_count(d, &count));
    CHECK(count == 1);
    CHECK_RC(sw_distribution_encrypt_for(rng, d, sessions[0][1], T0, m.b, sizeof m.b, &m.len),
             SW_SESSION_MISMATCH);
    deliver(d, 0, groups);
    sw_distribution_free(d);
    post(groups[0], "welcome back", &q);
    expect_post(groups[2], &q, "welcome back", 0, 1);
    expect_post(groups[1], &q, "welcome back", 0, 1);

    /* Rotation policy: after 2 posts in a chain, the next post starts a new
     * one and brings its distribution. */
    CHECK_RC(sw_group_set_rotation_policy(groups[0], 0, 1000), SW_GROUP_INVALID_ROTATION_POLICY);
    CHECK_RC(sw_group_set_rotation_policy(groups[0], 5, 0), SW_GROUP_INVALID_ROTATION_POLICY);
    CHECK_RC(sw_group_set_rotation_policy(groups[0], UINT32_MAX, 5),
             SW_GROUP_INVALID_ROTATION_POLICY);
    OK(sw_group_set_rotation_policy(groups[0], 2, SW_DEFAULT_ROTATION_AGE_MS));
    rotation = (sw_distribution *)1;
    OK(sw_group_post(rng, groups[0], T0, SW_CONTENT_RECEIPT, (const uint8_t *)"r", 1, q.b,
                     sizeof q.b, &q.len, &rotation));
    CHECK(rotation != NULL);
    deliver(rotation, 0, groups); /* the distribution goes first */
    sw_distribution_free(rotation);
    OK(sw_group_receive_post(groups[1], T0, q.b, q.len, plain.b, sizeof plain.b, &plain.len,
                             &info));
    CHECK(info.content_type == SW_CONTENT_RECEIPT && info.iteration == 0);
    OK(sw_group_receive_post(groups[2], T0, q.b, q.len, plain.b, sizeof plain.b, &plain.len,
                             &info));

    /* An explicit rotation. */
    OK(sw_group_rotate(rng, groups[1], T0, &d));
    deliver(d, 1, groups);
    sw_distribution_free(d);

    /* A timer change, then a post that disappears. */
    sw_timer timer;
    CHECK_RC(sw_group_set_timer(rng, groups[0], T0, SW_EXPIRY_OFF, 5, q.b, sizeof q.b, &q.len,
                                &rotation),
             SW_EXPIRY_INVALID_POLICY);
    CHECK_RC(sw_group_set_timer(rng, groups[0], T0, 9, 5, q.b, sizeof q.b, &q.len, &rotation),
             SW_INVALID_ARGUMENT);
    CHECK_RC(sw_group_set_timer(rng, groups[0], T0, SW_EXPIRY_AFTER_SEND, 3600, NULL, 0, &need,
                                &rotation),
             SW_BUFFER_TOO_SMALL);
    OK(sw_group_timer(groups[0], &timer));
    CHECK(timer.mode == SW_EXPIRY_OFF); /* unchanged by the size query */
    OK(sw_group_set_timer(rng, groups[0], T0, SW_EXPIRY_AFTER_SEND, 3600, q.b, sizeof q.b, &q.len,
                          &rotation));
    CHECK(q.len == need);
    if (rotation != NULL) {
        deliver(rotation, 0, groups);
        sw_distribution_free(rotation);
    }
    OK(sw_group_receive_post(groups[1], T0, q.b, q.len, plain.b, sizeof plain.b, &plain.len,
                             &info));
    CHECK(info.content_type == SW_CONTENT_TIMER_CHANGE && info.timer_changed);
    CHECK(info.timer_changed_by == SW_CHANGED_BY_PEER);
    CHECK(info.timer_new.mode == SW_EXPIRY_AFTER_SEND && info.timer_new.ttl_secs == 3600);
    OK(sw_group_timer(groups[1], &timer));
    CHECK(timer.mode == SW_EXPIRY_AFTER_SEND && timer.ttl_secs == 3600 && timer.version == 1);
    OK(sw_group_post(rng, groups[0], T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"bye", 3, q.b,
                     sizeof q.b, &q.len, &rotation));
    if (rotation != NULL) {
        deliver(rotation, 0, groups);
        sw_distribution_free(rotation);
    }
    OK(sw_group_receive_post(groups[1], T0 + SECONDS(10), q.b, q.len, plain.b, sizeof plain.b,
                             &plain.len, &info));
    CHECK(info.expiry == SW_MESSAGE_EXPIRY_AT && info.expiry_ms == T0 + SECONDS(3600));
    CHECK(plain.len == 3 && memcmp(plain.b, "bye", 3) == 0);
    /* C receives the same post after its deadline: erased. */
    OK(sw_group_receive_post(groups[2], T0 + SECONDS(7200), q.b, q.len, plain.b, sizeof plain.b,
                             &plain.len, &info));
    CHECK(info.expiry == SW_MESSAGE_EXPIRY_EXPIRED && plain.len == 0);

    /* Save and restore: B's group, plain and sealed; it carries on. */
    uint8_t *blob = group_blob(groups[1], &blob_len);
    sw_group *restored = NULL;
    OK(sw_group_load(blob, blob_len, &restored));
    expect_unchanged(restored, blob, blob_len);
    sw_channel_owner *wrong_role = (sw_channel_owner *)1;
    CHECK_RC(sw_channel_owner_load(blob, blob_len, &wrong_role), SW_STATE_MALFORMED);
    CHECK(wrong_role == NULL);
    blob[blob_len / 2] ^= 0x01;
    sw_group *damaged = (sw_group *)1;
    CHECK(sw_group_load(blob, blob_len, &damaged) != SW_OK);
    CHECK(damaged == NULL);
    free(blob);
    size_t sealed_len = 0;
    CHECK_RC(sw_group_save_sealed(rng, groups[1], STORAGE_KEY, sizeof STORAGE_KEY, &TEST_ADDRESS, NULL, 0,
                                  &sealed_len),
             SW_BUFFER_TOO_SMALL);
    uint8_t *sealed = malloc(sealed_len);
    CHECK(sealed != NULL);
    OK(sw_group_save_sealed(rng, groups[1], STORAGE_KEY, sizeof STORAGE_KEY, &TEST_ADDRESS, sealed, sealed_len,
                            &sealed_len));
    CHECK_RC(sw_group_load(sealed, sealed_len, &damaged), SW_STATE_SEALED);
    uint8_t other_key[32] = {1};
    CHECK_RC(sw_group_load_sealed(other_key, sizeof other_key, &TEST_ADDRESS, sealed, sealed_len, &damaged),
             SW_STATE_WRONG_STORAGE_KEY);
    sw_group *unsealed = NULL;
    OK(sw_group_load_sealed(STORAGE_KEY, sizeof STORAGE_KEY, &TEST_ADDRESS, sealed, sealed_len, &unsealed));
    free(sealed);
    post(groups[0], "to the restored", &q);
    expect_post(restored, &q, "to the restored", 0, ANY);
    expect_post(unsealed, &q, "to the restored", 0, ANY);
    expect_post(groups[1], &q, "to the restored", 0, ANY);
    sw_group_free(restored);
    sw_group_free(unsealed);

    /* A handle of the wrong type. */
    CHECK_RC(sw_group_post_len((const sw_group *)rng, 1, &need), SW_INVALID_HANDLE);

    for (int x = 0; x < N; x++) {
        sw_group_free(groups[x]);
    }
}

static void test_channel(void) {
    uint8_t cid[SW_GROUP_ID_LEN];
    size_t len = 0;
    CHECK_RC(sw_group_id_random(rng, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == SW_GROUP_ID_LEN);
    OK(sw_group_id_random(rng, cid, sizeof cid, &len));
    CHECK(memcmp(cid, gid, sizeof cid) != 0);

    /* A owns the channel; B subscribes from the start, C later. */
    sw_channel_owner *owner = NULL;
    sw_distribution *d = NULL;
    OK(sw_channel_owner_create(rng, T0, cid, sizeof cid, keys[0], KEY_LEN, keys[1], KEY_LEN,
                               &owner, &d));
    sw_channel_subscriber *subs[N] = {NULL};
    for (int x = 1; x < N; x++) {
        OK(sw_channel_subscriber_new(cid, sizeof cid, keys[x], KEY_LEN, keys[0], KEY_LEN,
                                     &subs[x]));
    }
    buf_t body;
    buf_t m;
    CHECK_RC(sw_distribution_encrypt_for(rng, d, sessions[0][2], T0, m.b, sizeof m.b, &m.len),
             SW_SESSION_MISMATCH);
    bool fresh = false;
    /* From someone who is not the owner: C runs a channel of the same id. */
    sw_channel_owner *impostor = NULL;
    sw_distribution *fake = NULL;
    OK(sw_channel_owner_create(rng, T0, cid, sizeof cid, keys[2], KEY_LEN, keys[1], KEY_LEN,
                               &impostor, &fake));
    transmit(fake, 2, 1, &body);
    CHECK_RC(sw_channel_subscriber_accept_distribution(subs[1], sessions[1][2], T0, &fresh),
             SW_GROUP_NOT_A_MEMBER);
    sw_distribution_free(fake);
    sw_channel_owner_free(impostor);
    /* C's session with A holds nothing to accept. */
    CHECK_RC(sw_channel_subscriber_accept_distribution(subs[2], sessions[2][0], T0, &fresh),
             SW_GROUP_NO_DISTRIBUTION);
    transmit(d, 0, 1, &body);
    OK(sw_channel_subscriber_accept_distribution(subs[1], sessions[1][0], T0, &fresh));
    CHECK(fresh);
    sw_distribution_free(d);

    buf_t p, plain;
    sw_group_received_info info;
    sw_distribution *rotation = (sw_distribution *)1;
    size_t need = 0;
    OK(sw_channel_owner_post_len(owner, 4, &need));
    OK(sw_channel_owner_post(rng, owner, T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"news", 4,
                             p.b, sizeof p.b, &p.len, &rotation));
    CHECK(rotation == NULL && p.len == need);
    OK(sw_channel_subscriber_receive_post(subs[1], T0, p.b, p.len, plain.b, sizeof plain.b,
                                          &plain.len, &info));
    CHECK(plain.len == 4 && memcmp(plain.b, "news", 4) == 0);
    CHECK(memcmp(info.sender, keys[0], KEY_LEN) == 0);
    CHECK_RC(sw_channel_subscriber_receive_post(subs[2], T0, p.b, p.len, plain.b, sizeof plain.b,
                                                &plain.len, &info),
             SW_GROUP_UNKNOWN_CHAIN);

    /* C subscribes: the current chain, from here on. */
    OK(sw_channel_owner_add_subscriber(owner, keys[2], KEY_LEN, &d));
    transmit(d, 0, 2, &body);
    OK(sw_channel_subscriber_accept_distribution(subs[2], sessions[2][0], T0, &fresh));
    sw_distribution_free(d);
    size_t holders = 0;
    OK(sw_channel_owner_current_holder_count(owner, &holders));
    CHECK(holders == 2);
    uint8_t hk[2 * KEY_LEN];
    OK(sw_channel_owner_current_holders(owner, hk, sizeof hk, &len));
    CHECK(len == sizeof hk);
    OK(sw_channel_owner_post(rng, owner, T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"more", 4,
                             p.b, sizeof p.b, &p.len, &rotation));
    for (int x = 1; x < N; x++) {
        OK(sw_channel_subscriber_receive_post(subs[x], T0, p.b, p.len, plain.b, sizeof plain.b,
                                              &plain.len, &info));
        CHECK(plain.len == 4 && memcmp(plain.b, "more", 4) == 0 && info.iteration == 1);
    }

    /* Timer, rotation policy, explicit rotation. */
    OK(sw_channel_owner_set_timer(rng, owner, T0, SW_EXPIRY_AFTER_READ, 60, p.b, sizeof p.b,
                                  &p.len, &rotation));
    CHECK(rotation == NULL);
    OK(sw_channel_subscriber_receive_post(subs[1], T0, p.b, p.len, plain.b, sizeof plain.b,
                                          &plain.len, &info));
    CHECK(info.timer_changed);
    sw_timer timer;
    OK(sw_channel_subscriber_timer(subs[1], &timer));
    CHECK(timer.mode == SW_EXPIRY_AFTER_READ && timer.ttl_secs == 60);
    OK(sw_channel_owner_timer(owner, &timer));
    CHECK(timer.mode == SW_EXPIRY_AFTER_READ && timer.ttl_secs == 60);
    CHECK_RC(sw_channel_owner_set_rotation_policy(owner, 0, 0), SW_GROUP_INVALID_ROTATION_POLICY);
    OK(sw_channel_owner_set_rotation_policy(owner, 100, 1000));
    OK(sw_channel_owner_rotate(rng, owner, T0, &d));
    size_t count = 0;
    OK(sw_distribution_recipient_count(d, &count));
    CHECK(count == 2);
    for (int x = 1; x < N; x++) {
        transmit(d, 0, x, &body);
        OK(sw_channel_subscriber_accept_distribution(subs[x], sessions[x][0], T0, &fresh));
        CHECK(fresh);
    }
    sw_distribution_free(d);

    /* C unsubscribed: B gets the new chain, C cannot read. */
    OK(sw_channel_owner_remove_subscriber(rng, owner, T0, keys[2], KEY_LEN, &d));
    OK(sw_distribution_recipient_count(d, &count));
    CHECK(count == 1);
    transmit(d, 0, 1, &body);
    OK(sw_channel_subscriber_accept_distribution(subs[1], sessions[1][0], T0, &fresh));
    sw_distribution_free(d);
    CHECK_RC(sw_channel_owner_remove_subscriber(rng, owner, T0, keys[2], KEY_LEN, &d),
             SW_GROUP_UNKNOWN_MEMBER);
    /* A post arriving after 2 seconds: the rotation policy's age (1 s) has
     * passed, so the post brings a rotation. */
    OK(sw_channel_owner_post(rng, owner, T0 + SECONDS(2), SW_CONTENT_USER_MESSAGE,
                             (const uint8_t *)"private", 7, p.b, sizeof p.b, &p.len, &rotation));
    CHECK(rotation != NULL);
    transmit(rotation, 0, 1, &body);
    OK(sw_channel_subscriber_accept_distribution(subs[1], sessions[1][0], T0, &fresh));
    sw_distribution_free(rotation);
    OK(sw_channel_subscriber_receive_post(subs[1], T0, p.b, p.len, plain.b, sizeof plain.b,
                                          &plain.len, &info));
    CHECK(plain.len == 7);
    CHECK_RC(sw_channel_subscriber_receive_post(subs[2], T0, p.b, p.len, plain.b, sizeof plain.b,
                                                &plain.len, &info),
             SW_GROUP_UNKNOWN_CHAIN);

    /* The last subscriber leaves: nothing to distribute. */
    d = (sw_distribution *)1;
    OK(sw_channel_owner_remove_subscriber(rng, owner, T0, keys[1], KEY_LEN, &d));
    CHECK(d == NULL);
    OK(sw_channel_owner_add_subscriber(owner, keys[1], KEY_LEN, &d));
    transmit(d, 0, 1, &body);
    OK(sw_channel_subscriber_accept_distribution(subs[1], sessions[1][0], T0, &fresh));
    sw_distribution_free(d);

    /* Save and restore the owner and a subscriber (plain and sealed). */
    uint8_t blob[8192];
    size_t blob_len = 0;
    OK(sw_channel_owner_save(owner, blob, sizeof blob, &blob_len));
    sw_channel_owner *owner2 = NULL;
    OK(sw_channel_owner_load(blob, blob_len, &owner2));
    sw_channel_subscriber *wrong = (sw_channel_subscriber *)1;
    CHECK_RC(sw_channel_subscriber_load(blob, blob_len, &wrong), SW_STATE_MALFORMED);
    CHECK(wrong == NULL);
    OK(sw_channel_owner_save_sealed(rng, owner, STORAGE_KEY, sizeof STORAGE_KEY, &TEST_ADDRESS, blob,
                                    sizeof blob, &blob_len));
    sw_channel_owner *owner3 = NULL;
    OK(sw_channel_owner_load_sealed(STORAGE_KEY, sizeof STORAGE_KEY, &TEST_ADDRESS, blob, blob_len, &owner3));
    sw_channel_owner_free(owner3);
    OK(sw_channel_subscriber_save_sealed(NULL, subs[1], STORAGE_KEY, sizeof STORAGE_KEY, &TEST_ADDRESS, blob,
                                         sizeof blob, &blob_len));
    sw_channel_subscriber *sub2 = NULL;
    OK(sw_channel_subscriber_load_sealed(STORAGE_KEY, sizeof STORAGE_KEY, &TEST_ADDRESS, blob, blob_len, &sub2));
    OK(sw_channel_subscriber_save(subs[1], blob, sizeof blob, &blob_len));
    sw_channel_subscriber *sub3 = NULL;
    OK(sw_channel_subscriber_load(blob, blob_len, &sub3));
    OK(sw_channel_owner_post(rng, owner2, T0 + 500, SW_CONTENT_USER_MESSAGE,
                             (const uint8_t *)"restored", 8, p.b, sizeof p.b, &p.len,
                             &rotation));
    CHECK(rotation == NULL);
    OK(sw_channel_subscriber_receive_post(sub2, T0, p.b, p.len, plain.b, sizeof plain.b,
                                          &plain.len, &info));
    CHECK(plain.len == 8 && memcmp(plain.b, "restored", 8) == 0);
    OK(sw_channel_subscriber_receive_post(sub3, T0, p.b, p.len, plain.b, sizeof plain.b,
                                          &plain.len, &info));
    sw_channel_subscriber_free(sub2);
    sw_channel_subscriber_free(sub3);
    sw_channel_owner_free(owner2);
    sw_channel_owner_free(owner);
    for (int x = 1; x < N; x++) {
        sw_channel_subscriber_free(subs[x]);
    }
}

static void received_at(sw_group *g, uint64_t now, const buf_t *p) {
    buf_t plain;
    sw_group_received_info info;
    OK(sw_group_receive_post(g, now, p->b, p->len, plain.b, sizeof plain.b, &plain.len, &info));
    CHECK(memcmp(info.sender, keys[0], KEY_LEN) == 0);
}

/* When the group's next erasure is due (0: none). */
static uint64_t next_erasure(const sw_group *g) {
    bool present = true;
    uint64_t ms = 1;
    OK(sw_group_next_key_erasure(g, &present, &ms));
    CHECK(present == (ms != 0));
    return ms;
}

static size_t skipped(const sw_group *g) {
    size_t count = SIZE_MAX;
    OK(sw_group_skipped_key_count(g, &count));
    return count;
}

static void test_retention(void) {
    const uint64_t day = SECONDS(24 * 60 * 60);
    uint8_t rid[SW_GROUP_ID_LEN];
    size_t len = 0;
    OK(sw_group_id_random(rng, rid, sizeof rid, &len));
    /* A and B in a group of two. */
    sw_group *groups[N] = {NULL};
    sw_distribution *d[2] = {NULL};
    for (int x = 0; x < 2; x++) {
        OK(sw_group_create(rng, T0, rid, sizeof rid, keys[x], KEY_LEN, keys[1 - x], KEY_LEN,
                           &groups[x], &d[x]));
    }
    for (int x = 0; x < 2; x++) {
        deliver(d[x], x, groups);
        sw_distribution_free(d[x]);
    }
    sw_group *b = groups[1];
    CHECK(next_erasure(b) == 0 && skipped(b) == 0);

    /* B gets A's third post first: two keys skipped at T0, kept 30 days by
     * default. */
    buf_t p[3];
    for (int i = 0; i < 3; i++) {
        post(groups[0], "kept?", &p[i]);
    }
    received_at(b, T0, &p[2]);
    CHECK(skipped(b) == 2);
    CHECK(next_erasure(b) == T0 + 30 * day + 1);
    /* A maximum age of one minute. */
    OK(sw_group_set_max_skipped_key_age(b, T0, SECONDS(60)));
    CHECK(next_erasure(b) == T0 + SECONDS(60) + 1);
    /* At the edge of the window the key still opens its post; one
     * millisecond later the other is refused although no erasure ran. */
    received_at(b, T0 + SECONDS(60), &p[1]);
    CHECK(skipped(b) == 1);
    refused_at(b, T0 + SECONDS(60) + 1, &p[0], SW_GROUP_MESSAGE_KEY_EVICTED);
    CHECK(skipped(b) == 1);
    OK(sw_group_erase_expired_keys(b, T0 + SECONDS(60) + 1));
    CHECK(skipped(b) == 0 && next_erasure(b) == 0);
    refused_at(b, T0 + SECONDS(60) + 1, &p[0], SW_GROUP_MESSAGE_KEY_EVICTED);

    /* A rotates; B accepts the new chain at T0 + 1 day: the old chain is
     * superseded then and erased a minute later. */
    buf_t old[2];
    post(groups[0], "old chain", &old[0]);
    post(groups[0], "old chain", &old[1]);
    sw_distribution *rot = NULL;
    OK(sw_group_rotate(rng, groups[0], T0, &rot));
    buf_t body;
    transmit(rot, 0, 1, &body);
    sw_distribution_free(rot);
    bool fresh = false;
    OK(sw_group_accept_distribution(b, sessions[1][0], T0 + day, &fresh));
    CHECK(fresh);
    CHECK(next_erasure(b) == T0 + day + SECONDS(60) + 1);
    received_at(b, T0 + day + SECONDS(60), &old[0]);
    refused_at(b, T0 + day + SECONDS(60) + 1, &old[1], SW_GROUP_UNKNOWN_CHAIN);
    OK(sw_group_erase_expired_keys(b, T0 + day + SECONDS(60) + 1));
    CHECK(next_erasure(b) == 0);
    refused_at(b, T0 + day + SECONDS(60) + 1, &old[1], SW_GROUP_UNKNOWN_CHAIN);
    /* The current chain is never erased by time. */
    buf_t current;
    post(groups[0], "current", &current);
    OK(sw_group_erase_expired_keys(b, T0 + 400 * day));
    received_at(b, T0 + 400 * day, &current);

    /* The maximum age is saved with the group. */
    size_t blob_len = 0;
    uint8_t *blob = group_blob(b, &blob_len);
    sw_group *restored = NULL;
    OK(sw_group_load(blob, blob_len, &restored));
    free(blob);
    buf_t q[2];
    post(groups[0], "late", &q[0]);
    post(groups[0], "later", &q[1]);
    received_at(restored, T0 + 400 * day, &q[1]);
    CHECK(next_erasure(restored) == T0 + 400 * day + SECONDS(60) + 1);
    sw_group_free(restored);

    /* A subscriber without a chain: nothing to erase. */
    sw_channel_subscriber *sub = NULL;
    OK(sw_channel_subscriber_new(rid, sizeof rid, keys[1], KEY_LEN, keys[0], KEY_LEN, &sub));
    bool present = true;
    uint64_t ms = 1;
    size_t count = 1;
    OK(sw_channel_subscriber_set_max_skipped_key_age(sub, T0, SECONDS(60)));
    OK(sw_channel_subscriber_erase_expired_keys(sub, T0));
    OK(sw_channel_subscriber_next_key_erasure(sub, &present, &ms));
    CHECK(!present && ms == 0);
    OK(sw_channel_subscriber_skipped_key_count(sub, &count));
    CHECK(count == 0);
    sw_channel_subscriber_free(sub);

    /* The wrong handle type. */
    CHECK_RC(sw_group_erase_expired_keys((sw_group *)rng, T0), SW_INVALID_HANDLE);
    for (int x = 0; x < 2; x++) {
        sw_group_free(groups[x]);
    }
}

int main(void) {
    rng = seeded(42);
    sw_prekey_store *stores[N];
    size_t len = 0;
    for (int x = 0; x < N; x++) {
        uint8_t seed[SW_SEED_LEN];
        memset(seed, 0x10 + x, sizeof seed);
        OK(sw_identity_from_seed(seed, sizeof seed, &ids[x]));
        OK(sw_identity_public_key(ids[x], keys[x], KEY_LEN, &len));
        OK(sw_prekey_store_new(rng, ids[x], &stores[x]));
    }
    for (int x = 0; x < N; x++) {
        for (int y = x + 1; y < N; y++) {
            pair(x, y, stores[y]);
        }
    }
    OK(sw_group_id_random(rng, gid, sizeof gid, &len));

    test_group();
    test_channel();
    test_retention();

    for (int x = 0; x < N; x++) {
        for (int y = 0; y < N; y++) {
            sw_session_free(sessions[x][y]);
        }
        sw_prekey_store_free(stores[x]);
        sw_identity_free(ids[x]);
    }
    sw_rng_free(rng);
    printf("test_group: %lu checks passed\n", checks_run);
    return 0;
}
